from celery import shared_task


@shared_task
def assign_reviewer_task(case_id: int) -> None:
    """Pick a reviewer for a case that is ready for assignment (filled by the assignment work)."""
