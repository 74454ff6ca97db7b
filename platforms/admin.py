"""Console for platforms: register, rotate the secret and revoke through the platform services.
Secrets and their hashes are never displayed; a new secret is shown once, on the page that
answers the action."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from orgconfig.models import Org
from platforms.models import Platform
from platforms.services import platform_register, platform_revoke, platform_rotate_secret
from ucp.admin import (
    OrgScopedAdmin,
    console_actor,
    report_service_error,
    secret_once_response,
    service_form_response,
    writable_orgs,
)
from ucp.errors import ServiceError


class PlatformRegisterForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Org.objects.none())
    caption = forms.CharField(max_length=200)
    scopes = forms.CharField(
        required=False, help_text="Space-separated scopes, e.g. 'checkout orders'."
    )
    callback_url = forms.URLField(required=False, max_length=2000, assume_scheme="https")

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs

    def clean_scopes(self):
        return self.cleaned_data["scopes"].split()


@admin.register(Platform)
class PlatformAdmin(OrgScopedAdmin):
    list_display = (
        "caption",
        "org",
        "client_id",
        "status",
        "revision",
        "secret_rotated_at",
        "previous_secret_valid_until",
        "created_at",
    )
    list_filter = ("org", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("caption", "guid", "application__client_id", "org__orgcode")
    list_select_related = ("org", "application")
    fields = (
        "guid",
        "org",
        "caption",
        "client_id",
        "scopes",
        "callback_url",
        "revision",
        "secret_rotated_at",
        "previous_secret_valid_until",
        "created_at",
        "updated_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["rotate_secret", "revoke_platforms"]

    @admin.display(description="Status")
    def status(self, platform):
        return "active" if platform.is_active else "revoked"

    @admin.display(description="Client id")
    def client_id(self, platform):
        return platform.client_id

    def has_change_permission(self, request, obj=None):
        # Every change goes through an action (a service); the form only shows the record.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        orgs = writable_orgs(request)
        form = PlatformRegisterForm(request.POST or None, orgs=orgs)
        if request.method == "POST" and form.is_valid():
            platform, client_secret = platform_register(
                actor=console_actor(request), **form.cleaned_data
            )
            return secret_once_response(
                request,
                self,
                title="Platform registered",
                obj=platform,
                secrets={"client_id": platform.client_id, "client_secret": client_secret},
            )
        return service_form_response(request, self, title="Register platform", form=form)

    @admin.action(description="Rotate the client secret (old one keeps working for the grace)")
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one platform at a time.", messages.WARNING)
            return None
        platform = queryset.select_related("org", "application").get()
        if not self.can_write(request, platform):
            raise PermissionDenied
        try:
            platform, client_secret = platform_rotate_secret(
                platform=platform,
                expected_revision=platform.revision,
                actor=console_actor(request),
            )
        except ServiceError as error:
            report_service_error(self, request, platform, error)
            return None
        return secret_once_response(
            request,
            self,
            title="Client secret rotated",
            obj=platform,
            secrets={"client_id": platform.client_id, "client_secret": client_secret},
        )

    rotate_secret.allowed_permissions = ("write",)

    @admin.action(description="Revoke the selected platforms (stops every use at once)")
    def revoke_platforms(self, request, queryset):
        revoked = 0
        for platform in queryset.filter(revoked_at__isnull=True).select_related("org"):
            if not self.can_write(request, platform):
                continue
            try:
                platform_revoke(
                    platform=platform,
                    expected_revision=platform.revision,
                    actor=console_actor(request),
                )
            except ServiceError as error:
                report_service_error(self, request, platform, error)
                continue
            revoked += 1
        self.message_user(request, f"Revoked {revoked} platform(s).", messages.SUCCESS)

    revoke_platforms.allowed_permissions = ("write",)
