import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviewers", "0004_reviewer_open_cases"),
    ]

    operations = [
        migrations.AddField(
            model_name="specialtyrule",
            name="changed_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, editable=False),
            preserve_default=False,
        ),
    ]
