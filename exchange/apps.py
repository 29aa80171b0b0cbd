from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """The top layer: what reads and writes cases, reviewers and determinations together.

    The `imr-case/1` format (validation, import, export), the staff intake page that writes
    through the importer, the demo data and their commands.
    """

    name = "exchange"
    verbose_name = "Case exchange"
