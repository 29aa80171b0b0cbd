import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
application = get_wsgi_application()

# What loading the site made (modules, settings, URL patterns, models) lives as long as the
# process: frozen out of the garbage collector's sight, a full collection no longer walks it.
# Without this, one request in ten at 200,000 cases paused 30-50 ms in a full collection
# (bench/scale.py freezes the same way once the site is loaded).
gc.freeze()
