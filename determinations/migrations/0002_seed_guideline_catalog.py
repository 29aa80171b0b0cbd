"""Seed the guideline catalog reviewers pick citations from; staff maintain it in the admin."""

from django.db import migrations

CATALOG = [
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Physical Medicine"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Trigger point injections"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Opioids"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Opioids, criteria for use"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines NSAIDs (non-steroidal anti-inflammatory drugs)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Muscle relaxants (for pain)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Anti-epilepsy drugs (AEDs)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Topical Analgesics"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Epidural steroid injections (ESIs)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Acupuncture Medical Treatment Guidelines"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Manual therapy & manipulation"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Chronic pain programs (functional restoration programs)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Psychological treatment"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines TENS, chronic pain (transcutaneous electrical nerve stimulation)"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Home health services"),
    ("MTUS", "MTUS Chronic Pain Treatment Guidelines Urine drug testing"),
    ("MTUS", "MTUS Drug Formulary"),
    ("ACOEM", "ACOEM Low Back Complaints, Chapter 12"),
    ("ACOEM", "ACOEM Neck and Upper Back Complaints, Chapter 8"),
    ("ACOEM", "ACOEM Shoulder Complaints, Chapter 9"),
    ("ACOEM", "ACOEM Knee Complaints, Chapter 13"),
    ("ACOEM", "ACOEM Forearm, Wrist, and Hand Complaints, Chapter 11"),
    ("ACOEM", "ACOEM Chronic Pain Chapter"),
    ("ODG", "ODG Low Back, Lumbar & Thoracic (Acute & Chronic)"),
    ("ODG", "ODG Neck and Upper Back (Acute & Chronic)"),
    ("ODG", "ODG Shoulder (Acute & Chronic)"),
    ("ODG", "ODG Knee & Leg (Acute & Chronic)"),
    ("ODG", "ODG Pain (Chronic)"),
    ("ODG", "ODG Mental Illness & Stress"),
]


def seed(apps, schema_editor):
    GuidelineEntry = apps.get_model("determinations", "GuidelineEntry")
    for source, citation in CATALOG:
        GuidelineEntry.objects.get_or_create(citation=citation, defaults={"source": source})


class Migration(migrations.Migration):
    dependencies = [("determinations", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
