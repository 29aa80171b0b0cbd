# The kinds of CaseEvent as choices with human labels (choices only: no schema change).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_workflow_digest_and_notice"),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("transition", "Status changed"),
                    ("imported", "Case imported"),
                    ("created_by_staff", "Case created by staff"),
                    ("edited_by_staff", "Case edited by staff"),
                    ("eligibility_confirmed", "Eligibility finding confirmed"),
                    ("eligibility_override", "Eligibility finding overridden"),
                    ("converted_to_expedited", "Converted to expedited"),
                    ("document_added", "Document added"),
                    ("manual_assignment_needed", "Needs manual assignment"),
                    ("determination_draft_saved", "Determination draft saved"),
                    ("determination_approved", "Determination approved by QA"),
                    ("letter_corrected", "Corrected letter issued"),
                    ("letter_mailed", "Letter sent to every recipient"),
                    ("letter_posted", "Printed letter posted"),
                    ("letter_resent", "Letter resent"),
                ],
                default="transition",
                max_length=40,
            ),
        ),
    ]
