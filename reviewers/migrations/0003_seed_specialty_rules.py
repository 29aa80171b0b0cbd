"""Default treatment-category → specialty rules (staff edit them in the admin).

Every category gets blank-region rows (any body region); surgery gets region rows too, since
who may judge a spine operation differs from who may judge a knee one. The seed case
(physical medicine and injections) is covered by Preventive and Occupational Medicine.
"""

from django.db import migrations

PMR = "Physical Medicine and Rehabilitation"
OCC = "Occupational Medicine"
PREV = "Preventive Medicine"
ORTHO = "Orthopaedic Surgery"
PAIN = "Pain Medicine"
IM = "Internal Medicine"
FM = "Family Medicine"
SPORTS = "Sports Medicine"
ANES = "Anesthesiology"
PSYCH = "Psychiatry"
NEURO_SURG = "Neurological Surgery"

ANY = ""
DEFAULT_RULES = {
    "pharmaceuticals": {ANY: [PAIN, IM, FM, OCC, PREV, PMR, PSYCH, ANES]},
    "physical_medicine": {ANY: [PMR, OCC, PREV, ORTHO, SPORTS, FM, IM]},
    "chiropractic": {ANY: [PMR, OCC, PREV, ORTHO, SPORTS, FM]},
    "acupuncture": {ANY: [PMR, OCC, PREV, PAIN, FM, IM, ANES]},
    "injections": {
        ANY: [PAIN, ANES, PMR, OCC, PREV, ORTHO],
        "spine": [NEURO_SURG],
        "lumbar": [NEURO_SURG],
        "cervical": [NEURO_SURG],
        "knee": [SPORTS],
        "shoulder": [SPORTS],
    },
    "diagnostics": {ANY: [OCC, PREV, PMR, IM, FM, ORTHO, "Neurology", "Radiology"]},
    "surgery": {
        ANY: [ORTHO],
        "spine": [NEURO_SURG],
        "back": [NEURO_SURG],
        "neck": [NEURO_SURG],
        "lumbar": [NEURO_SURG],
        "cervical": [NEURO_SURG],
        "thoracic": [NEURO_SURG],
        "hand": ["Plastic Surgery", "Surgery of the Hand"],
        "wrist": ["Plastic Surgery", "Surgery of the Hand"],
        "eye": ["Ophthalmology"],
        "abdomen": ["General Surgery"],
        "hernia": ["General Surgery"],
    },
    "dme": {ANY: [PMR, OCC, PREV, ORTHO, FM, IM, SPORTS]},
    "behavioral_health": {ANY: [PSYCH, "Psychology", "Clinical Psychology"]},
    "home_health": {ANY: [PMR, IM, FM, OCC, PREV]},
    "programs": {ANY: [PMR, PAIN, OCC, PREV, PSYCH, ANES]},
    "evaluation_management": {ANY: [OCC, PREV, IM, FM, PMR, PAIN, ORTHO]},
    "other": {ANY: [OCC, PREV, IM, FM, PMR]},
}


def _rows():
    for category, regions in DEFAULT_RULES.items():
        for region, specialties in regions.items():
            for specialty in specialties:
                yield category, region, specialty


def seed(apps, schema_editor):
    SpecialtyRule = apps.get_model("reviewers", "SpecialtyRule")
    for category, region, specialty in _rows():
        SpecialtyRule.objects.get_or_create(category=category, body_region=region, specialty=specialty)


def unseed(apps, schema_editor):
    SpecialtyRule = apps.get_model("reviewers", "SpecialtyRule")
    for category, region, specialty in _rows():
        SpecialtyRule.objects.filter(category=category, body_region=region, specialty=specialty).delete()


class Migration(migrations.Migration):
    dependencies = [("reviewers", "0002_assignment_notified_open_index")]

    operations = [migrations.RunPython(seed, unseed)]
