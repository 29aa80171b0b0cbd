import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The public pages are cached and rate-limited in the default cache: each test starts empty."""
    cache.clear()
    yield
    cache.clear()
