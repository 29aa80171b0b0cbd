from celery import shared_task


@shared_task
def issue_letter_task(determination_id: int) -> None:
    """Render, store and issue the Final Determination letter (filled by the letters work)."""
