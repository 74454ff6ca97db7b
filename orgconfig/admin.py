"""Console for orgs, their settings, members, API keys, signing keys and the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from orgconfig.audit import audit_record
from orgconfig.models import (
    ApiKey,
    AuditEntry,
    Membership,
    Org,
    OrgSettings,
    Role,
    SigningKey,
    UcpConfig,
)
from orgconfig.selectors import org_settings
from orgconfig.services import api_key_create, api_key_revoke
from orgconfig.signing import signing_key_rotate
from ucp.admin import (
    OrgScopedAdmin,
    ReadOnlyOrgScopedAdmin,
    console_actor,
    readable_org_ids,
    secret_once_response,
    service_form_response,
    writable_orgs,
)

OWNER_ONLY = frozenset({Role.OWNER})


@admin.register(Org)
class OrgAdmin(OrgScopedAdmin):
    org_field = "pk"
    write_roles = OWNER_ONLY
    list_display = ("orgcode", "name", "is_active", "created_at", "dashboard_link", "config_link")
    list_filter = ("is_active",)
    search_fields = ("orgcode", "name")

    def get_readonly_fields(self, request, obj=None):
        # Owners rename their org; the orgcode (in every admin call) and activation are ops'.
        if request.user.is_superuser:
            return ("created_at",)
        return ("orgcode", "is_active", "created_at")

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        org_settings(org=obj)

    @admin.display(description="Dashboard")
    def dashboard_link(self, org):
        return format_html('<a href="{}">today</a>', reverse("ucp-dashboard", args=[org.orgcode]))

    @admin.display(description="UCP config")
    def config_link(self, org):
        return ucp_config_link(org, "edit and preview")


def ucp_config_link(org: Org, text: str):
    return format_html('<a href="{}">{}</a>', reverse("ucp-config", args=[org.orgcode]), text)


class UcpConfigPageAdmin(ReadOnlyOrgScopedAdmin):
    """Records written only through the config service (/config/set or the console's UCP config
    page, which validate, revision and audit every change): shown here, edited there."""

    @admin.display(description="Edit")
    def config_link(self, obj):
        return ucp_config_link(obj.org, "UCP config page")


@admin.register(OrgSettings)
class OrgSettingsAdmin(UcpConfigPageAdmin):
    list_display = (
        "org",
        "secret_rotation_grace_seconds",
        "checkout_ttl_seconds",
        "tax_rate_bps",
        "buyer_email_required",
        "saved_addresses",
        "payment_handlers",
        "config_link",
    )
    search_fields = ("org__orgcode", "org__name")
    fields = (
        "org",
        "secret_rotation_grace_seconds",
        "checkout_ttl_seconds",
        "tax_rate_bps",
        "buyer_email_required",
        "saved_addresses",
        "payment_handlers",
        "config_link",
    )
    readonly_fields = fields


@admin.register(UcpConfig)
class UcpConfigAdmin(UcpConfigPageAdmin):
    list_display = (
        "org",
        "revision",
        "rest_auth",
        "root_profile_version",
        "updated_at",
        "config_link",
    )
    list_filter = ("rest_auth", "root_profile_version")
    search_fields = ("org__orgcode", "org__name")
    fields = (
        "org",
        "revision",
        "capabilities",
        "payment_handler_configs",
        "policy_links",
        "webhook_defaults",
        "rest_auth",
        "root_profile_version",
        "updated_at",
        "config_link",
    )
    readonly_fields = fields


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    write_roles = OWNER_ONLY
    list_display = ("user", "org", "role", "created_at")
    list_filter = ("role", "org")
    search_fields = ("user__username", "user__email", "org__orgcode")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Known limit: an owner can only pick users who already belong to one of their orgs,
        # because listing every account would show other orgs' staff; a superuser creates the
        # account and its first membership.
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(ucp_memberships__org__in=readable_org_ids(request))
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ApiKeyCreateForm(forms.Form):
    org = forms.ModelChoiceField(queryset=Org.objects.none())
    name = forms.CharField(max_length=100)
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs


@admin.register(ApiKey)
class ApiKeyAdmin(OrgScopedAdmin):
    """Keys are created and revoked through the services; only the prefix is ever shown."""

    list_display = ("name", "org", "role", "prefix", "status", "created_at", "last_used_at")
    list_filter = ("role", "org", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "org__orgcode")
    fields = (
        "guid",
        "org",
        "name",
        "role",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke_keys"]

    @admin.display(description="Status")
    def status(self, api_key):
        return "active" if api_key.is_active else "revoked"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        orgs = writable_orgs(request)
        form = ApiKeyCreateForm(request.POST or None, orgs=orgs)
        if request.method == "POST" and form.is_valid():
            api_key, plaintext = api_key_create(created_by=request.user, **form.cleaned_data)
            audit_record(
                org=api_key.org,
                actor=console_actor(request),
                action="api_key.create",
                target_type="api_key",
                target_id=api_key.guid,
                after={"name": api_key.name, "role": api_key.role, "prefix": api_key.prefix},
            )
            return secret_once_response(
                request, self, title="API key created", obj=api_key, secrets={"API key": plaintext}
            )
        return service_form_response(request, self, title="Create API key", form=form)

    @admin.action(description="Revoke the selected API keys", permissions=["write"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True).select_related("org"):
            if not self.can_write(request, api_key):
                continue
            api_key_revoke(api_key=api_key)
            audit_record(
                org=api_key.org,
                actor=console_actor(request),
                action="api_key.revoke",
                target_type="api_key",
                target_id=api_key.guid,
                before={"status": "active"},
                after={"status": "revoked"},
            )
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyOrgScopedAdmin):
    """Public halves only: the private key never reaches a page."""

    list_display = ("kid", "org", "created_at", "retired_at", "publish_until")
    list_filter = ("org", ("retired_at", admin.EmptyFieldListFilter))
    search_fields = ("kid", "org__orgcode")
    fields = ("kid", "org", "public_jwk", "created_at", "retired_at", "publish_until")
    readonly_fields = fields
    actions = ["rotate_keys"]

    def get_queryset(self, request):
        # Never loaded, so never decrypted: a key that does not decrypt must not make the list
        # a 500, and the private half has no business in the console's memory anyway.
        return super().get_queryset(request).defer("private_key_pem")

    @admin.action(
        description="Rotate the signing key of the selected keys' orgs", permissions=["write"]
    )
    def rotate_keys(self, request, queryset):
        orgs = {key.org_id: key.org for key in queryset.select_related("org")}
        for org in orgs.values():
            if not self.can_write(request, org_key_stub(org)):
                continue
            key = signing_key_rotate(org=org)
            audit_record(
                org=org,
                actor=console_actor(request),
                action="signing_key.rotate",
                target_type="signing_key",
                target_id=key.kid,
                after={"kid": key.kid},
            )
            self.message_user(request, f"{org.orgcode}: new signing key {key.kid}.")


def org_key_stub(org: Org) -> SigningKey:
    """A key of this org, for the permission check that reads `org_id`."""
    return SigningKey(org=org)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ("created_at", "org", "actor", "action", "target_type", "target_id")
    list_filter = ("action", "target_type", "org")
    search_fields = ("actor", "action", "target_id")
    date_hierarchy = "created_at"
    fields = ("created_at", "org", "actor", "action", "target_type", "target_id", "before", "after")
    readonly_fields = fields
    actions = None
