from django.apps import AppConfig


class OrgconfigConfig(AppConfig):
    name = "orgconfig"
