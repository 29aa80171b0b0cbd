"""What a one-time form token created, so a replay of the same POST can answer with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A form token claimed by a POST that created something, and the page showing the result.

    The unique token is what makes a double submit harmless: the second insert of the
    same token waits for the first transaction and then fails, and the second request
    answers with the first one's result page.
    """

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "form submission"

    def __str__(self) -> str:
        return f"{self.token} → {self.result_url}"
