"""Site-wide security (issue 13): second factor, lockout, session lifetime, hardened responses.

An app of its own (`imr_site.security`, label `imr_security`) so that `ready()` connects the
log-in signal; it has no models: django-otp keeps the devices and django-axes the attempts.
"""
