"""The project's one Celery app: reads CELERY_* Django settings and autodiscovers tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")

app = Celery("imr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
