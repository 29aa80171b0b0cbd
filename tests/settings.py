"""Settings for the tests: the project's own settings with DEBUG off, as in production.

pytest-django imports this module (pyproject: DJANGO_SETTINGS_MODULE = "tests.settings"). It
fills in what a production environment must provide and the test run cannot, then takes
imr_site.settings as they are: the second factor, lockout, secure cookies, CSP and the rest are
on in the tests. Only SECURE_SSL_REDIRECT is off: the test client and the live server speak plain
HTTP, where production's TLS ends at the proxy. The variables are set in os.environ so that the
Celery worker the tests start sees the same settings.
"""

import os
import secrets

os.environ["DEBUG"] = "false"  # always: the tests check what production does
# no "$" in the key: django-environ reads a value starting with "$" as the name of another variable
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Static files under their plain names, found in the apps' folders: the tests run no collectstatic
# (`make prod` does; its test clears this and checks the hashed, compressed names).
os.environ.setdefault("STATIC_MANIFEST", "false")

from imr_site.settings import *  # noqa: F403
