"""The console's building blocks: org-scoped model admins, one-time secret pages and audit hooks.

Every app's `admin.py` builds on `OrgScopedAdmin`: a console user sees the objects of the orgs they
belong to (orgconfig.Membership), changes them when their role there allows it (`owner`,
`ucp_admin`; `viewer` only reads), and every change made through a form is written to the audit
trail. Superusers see and change everything. An app plugs in with:

    @admin.register(Thing)
    class ThingAdmin(OrgScopedAdmin):
        org_field = "org"            # or a path such as "platform__org"
        list_display = (...)

Actions that change state call the app's services (the same code as the API), never a second
implementation; `secret_once_response` shows a freshly issued secret on the page that answers the
action, so it is never stored anywhere to be shown again.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from oauth2_provider.models import get_application_model

from orgconfig.audit import audit_record
from orgconfig.models import WRITE_ROLES, Membership, Org
from ucp.errors import ServiceError

admin.site.site_header = "UCP console"
admin.site.site_title = "UCP console"
admin.site.index_title = "Your orgs' UCP channel"
# The service has no public site of its own to link to.
admin.site.site_url = None

# Platforms are managed through the Platform admin, which never shows a secret or its hash;
# django-oauth-toolkit's own Application admin shows the stored secret hash, so it is withdrawn.
Application = get_application_model()
if admin.site.is_registered(Application):
    admin.site.unregister(Application)


def user_roles(request) -> dict[int, str]:
    """The console user's role per org id, read once per request."""
    if not hasattr(request, "_ucp_org_roles"):
        user = request.user
        if not user.is_authenticated or not user.is_active:
            request._ucp_org_roles = {}
        else:
            request._ucp_org_roles = dict(
                Membership.objects.filter(user=user, org__is_active=True).values_list(
                    "org_id", "role"
                )
            )
    return request._ucp_org_roles


def readable_org_ids(request) -> set[int]:
    return set(user_roles(request))


def writable_org_ids(request, write_roles=WRITE_ROLES) -> set[int]:
    return {org_id for org_id, role in user_roles(request).items() if role in write_roles}


def writable_orgs(request):
    """The orgs a console user may create objects in: all for superusers."""
    if request.user.is_superuser:
        return Org.objects.all()
    return Org.objects.filter(pk__in=writable_org_ids(request))


def console_actor(request) -> str:
    """The actor written to the audit trail, in the form the admin API uses."""
    return f"user:{request.user.pk}"


def jsonable(value):
    """A form or model value as JSON for the audit trail."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, models.QuerySet):
        return [str(obj.pk) for obj in value]
    if isinstance(value, dict | list | tuple):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def secret_once_response(request, model_admin, *, title: str, obj, secrets: dict[str, str]):
    """The page that answers an action which issued a secret: the only time it is shown. The
    plaintext lives in this response alone (never in the session, the database or a log), and the
    page is marked uncacheable so a browser does not keep it either."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "object": obj,
        "secrets": secrets,
        "changelist_url": admin_changelist_url(model_admin.model),
    }
    response = TemplateResponse(request, "admin/ucp/secret_once.html", context)
    response["Cache-Control"] = "no-store"
    return response


def admin_changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def service_form_response(request, model_admin, *, title: str, form):
    """A plain form page in the console's look, for operations that run a service."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "changelist_url": admin_changelist_url(model_admin.model),
    }
    return TemplateResponse(request, "admin/ucp/service_form.html", context)


def report_service_error(model_admin, request, obj, error: ServiceError) -> None:
    model_admin.message_user(request, f"{obj}: {error.message}", level=messages.ERROR)


class OrgScopedMixin:
    """Scoping shared by model admins and inlines. `org_field` is the lookup path from the model
    to its Org ("org", "product__org", or "pk" for Org itself)."""

    org_field = "org"
    # Roles that may change this model; memberships and org records are for owners only.
    write_roles = WRITE_ROLES

    def org_lookup(self) -> str:
        return "pk" if self.org_field == "pk" else f"{self.org_field}_id"

    def org_id_of(self, obj) -> int | None:
        if obj is None:
            return None
        if self.org_field == "pk":
            return obj.pk
        *path, last = self.org_field.split("__")
        target = obj
        for step in path:
            target = getattr(target, step, None)
            if target is None:
                return None
        return getattr(target, f"{last}_id", None)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        lookup = "pk__in" if self.org_field == "pk" else f"{self.org_field}__in"
        return queryset.filter(**{lookup: readable_org_ids(request)})

    def can_read(self, request, obj=None) -> bool:
        if not request.user.is_active or not request.user.is_staff:
            return False
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(readable_org_ids(request))
        return self.org_id_of(obj) in readable_org_ids(request)

    def can_write(self, request, obj=None) -> bool:
        if not request.user.is_active or not request.user.is_staff:
            return False
        if request.user.is_superuser:
            return True
        writable = writable_org_ids(request, self.write_roles)
        if obj is None:
            return bool(writable)
        return self.org_id_of(obj) in writable

    # Django asks these; the console answers from org memberships, not model permissions.
    def has_module_permission(self, request):
        return self.can_read(request)

    def has_view_permission(self, request, obj=None):
        return self.can_read(request, obj)

    def has_add_permission(self, request, *args):
        return self.can_write(request)

    def has_change_permission(self, request, obj=None):
        return self.can_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.can_write(request, obj)

    def has_write_permission(self, request):
        """For actions declared with `permissions=["write"]`."""
        return self.can_write(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Foreign-key choices offer only objects of the orgs the user may write to."""
        if not request.user.is_superuser:
            related = db_field.related_model
            writable = writable_org_ids(request, self.write_roles)
            if related is Org:
                kwargs["queryset"] = Org.objects.filter(pk__in=writable)
            elif related_admin := self.admin_site._registry.get(related):
                path = getattr(related_admin, "org_field", None)
                if path:
                    lookup = "pk__in" if path == "pk" else f"{path}__in"
                    kwargs["queryset"] = related._default_manager.filter(**{lookup: writable})
            elif any(f.name == "org" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(org__in=writable)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OrgScopedAdmin(OrgScopedMixin, admin.ModelAdmin):
    """A model admin scoped to the user's orgs, recording every form change in the audit trail.
    Fields listed in `audit_exclude` never reach the trail (secrets, digests, keys)."""

    audit_exclude: tuple[str, ...] = ()
    list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_list_filter(self, request):
        """An `org` filter lists only the orgs in the user's scope, never every org's name."""
        return tuple(
            (f, admin.RelatedOnlyFieldListFilter) if f == "org" else f
            for f in super().get_list_filter(request)
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not self.can_write(request, obj):
            raise PermissionDenied
        before = {f: jsonable(form.initial.get(f)) for f in self.audited_fields(form)}
        super().save_model(request, obj, form, change)
        after = {f: jsonable(form.cleaned_data.get(f)) for f in self.audited_fields(form)}
        self.audit(
            request, obj, "change" if change else "create", before if change else None, after
        )

    def delete_model(self, request, obj):
        org_id, target_id = self.org_id_of(obj), obj.pk
        super().delete_model(request, obj)
        self.audit(request, obj, "delete", {"repr": str(obj)}, None, org_id, target_id)

    def delete_queryset(self, request, queryset):
        doomed = [(obj, self.org_id_of(obj), obj.pk) for obj in queryset]
        super().delete_queryset(request, queryset)
        for obj, org_id, target_id in doomed:
            self.audit(request, obj, "delete", {"repr": str(obj)}, None, org_id, target_id)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self.audit(request, obj, "create", None, self.audit_view(obj), model=obj)
        for obj, changed_fields in formset.changed_objects:
            after = {f: jsonable(getattr(obj, f, None)) for f in changed_fields}
            self.audit(request, obj, "change", None, after, model=obj)
        for obj in formset.deleted_objects:
            self.audit(request, obj, "delete", {"repr": str(obj)}, None, model=obj)

    def audit_view(self, obj) -> dict:
        return {
            f.name: jsonable(getattr(obj, f.attname))
            for f in obj._meta.concrete_fields
            if f.name not in self.audit_exclude and not f.primary_key
        }

    def inline_org_id(self, request, obj) -> int | None:
        for inline in self.get_inline_instances(request):
            if isinstance(obj, inline.model):
                return inline.org_id_of(obj)
        return None

    def audited_fields(self, form) -> list[str]:
        return [f for f in form.changed_data if f not in self.audit_exclude]

    def audit(self, request, obj, verb, before, after, org_id=None, target_id=None, model=None):
        """Records a console change. `model` is given for inline rows, whose org is found
        through the inline admin's path rather than this admin's."""
        if model is not None:
            org_id = self.inline_org_id(request, obj)
        elif org_id is None:
            org_id = self.org_id_of(obj)
        name = obj._meta.model_name
        audit_record(
            org=Org.objects.filter(pk=org_id).first() if org_id else None,
            actor=console_actor(request),
            action=f"{name}.{verb}",
            target_type=name,
            target_id=str(target_id if target_id is not None else obj.pk),
            before=before,
            after=after,
        )


class ReadOnlyOrgScopedAdmin(OrgScopedAdmin):
    """Records written only by services (sessions, orders, the audit trail): shown, never edited
    through a form. Actions that call services still run for users who may write."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrgScopedTabularInline(OrgScopedMixin, admin.TabularInline):
    """An inline whose rows belong to the parent's org; read-only unless `editable_inline`."""

    editable_inline = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return self.editable_inline and self.can_write(request)

    def has_change_permission(self, request, obj=None):
        return self.editable_inline and self.can_write(request)

    def has_delete_permission(self, request, obj=None):
        return self.editable_inline and self.can_write(request)

    def has_view_permission(self, request, obj=None):
        return self.can_read(request)
