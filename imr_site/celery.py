"""The project's one Celery app: reads CELERY_* Django settings and autodiscovers tasks.py."""

import os

from celery import Celery

from core.heartbeat import WorkerHeartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")

app = Celery("imr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker writes a heartbeat for its queues, which /healthz reads (core.heartbeat).
app.steps["worker"].add(WorkerHeartbeat)
