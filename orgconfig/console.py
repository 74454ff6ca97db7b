"""The console page of an org's UCP config: the config as /config/get shows it, a JSON box of
changes in the shape /config/set takes, and two buttons.

- Preview runs the config service itself inside a transaction that is always rolled back, and
  shows the profile that would be published, with what changes in it. Nothing is stored, not
  even the audit entry the service writes.
- Save runs the same service for real, under the revision the page was rendered with: if someone
  changed the config in between, the page says so and nothing is written.

Owners and ucp_admins preview and save; viewers see the config and the current profile only.
Another org's page is a 404, as for the dashboard.
"""

import difflib
import json
import logging
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from orgconfig import profile, selectors, services
from orgconfig.api import profile_context
from orgconfig.models import WRITE_ROLES, Org, ProfileVersion
from orgconfig.ucp_config import CONFIG_FIELDS
from ucp import errors
from ucp.admin import console_actor
from ucp.api.parsers import check_parsed_json, max_json_depth
from ucp.dashboard import visible_org

logger = logging.getLogger(__name__)

ROOT_PROFILE = "root"
PROFILE_CHOICES = [(ROOT_PROFILE, "Root profile (/.well-known/ucp)")] + [
    (version, f"Leaf profile {version}") for version in ProfileVersion.values
]
CHANGES_EXAMPLE = '{"capabilities": {"discount": false}, "tax_rate_bps": 825}'


class ConfigChangesForm(forms.Form):
    changes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "cols": 90, "class": "vLargeTextField"}),
        help_text=(
            "A JSON object of the fields to change, as /ucp/config/set takes them: "
            f"{', '.join(CONFIG_FIELDS)}. Object fields (capabilities, policy_links, "
            "webhook_defaults) are merged key by key; a policy link set to null is removed. "
            f"Example: {CHANGES_EXAMPLE}"
        ),
    )
    expected_revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    profile_version = forms.ChoiceField(
        choices=PROFILE_CHOICES, initial=ROOT_PROFILE, label="Profile to preview"
    )

    def clean_changes(self) -> dict:
        text = self.cleaned_data["changes"]
        try:
            changes = json.loads(text)
            check_parsed_json(changes, max_depth=max_json_depth())
        except RecursionError:
            raise forms.ValidationError("The JSON is nested too deeply.") from None
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from None
        except errors.InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
        if not isinstance(changes, dict):
            raise forms.ValidationError("Give a JSON object of the fields to change.")
        return changes


def profile_document(request, org: Org, version: str) -> dict:
    context = profile_context(request, org)
    if version == ROOT_PROFILE:
        return profile.root_profile_build(org=org, context=context)
    return profile.profile_build(org=org, version=version, context=context)


def pretty(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def text_diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "now", "after the change", lineterm=""
    )
    return "\n".join(lines)


class PreviewRolledBack(Exception):
    """Raised at the end of a preview so that the transaction is rolled back."""

    def __init__(self, config: dict, document: dict):
        super().__init__("preview")
        self.config = config
        self.document = document


def config_preview(request, *, org: Org, expected_revision: int, changes: dict, version: str):
    """The config and profile that `changes` would give, computed by the real service in a
    transaction that is then rolled back. Raises the service's errors as they are.

    Known limit: the service's "UCP config changed" log line is still written for a preview,
    because the log is not transactional; telling the two apart needs a flag in the service.
    """
    try:
        with transaction.atomic():
            config = services.ucp_config_set(
                org=org,
                actor=console_actor(request),
                expected_revision=expected_revision,
                changes=changes,
            )
            raise PreviewRolledBack(config, profile_document(request, org, version))
    except PreviewRolledBack as preview:
        return preview.config, preview.document


@dataclass
class PageError:
    """A service error as the page shows it: the stable code, the message, each field's problems."""

    code: str
    message: str
    fields: list[tuple[str, list[str]]]

    @classmethod
    def of(cls, error: errors.ServiceError, *, expected_revision: int) -> "PageError":
        if isinstance(error, errors.RevisionMismatch):
            current = error.details.get("current_revision")
            message = (
                f"Someone changed this config since you opened it: it is now revision {current}, "
                f"you edited revision {expected_revision}. Nothing was saved. Reload the page, "
                "check the current config and apply your changes again."
            )
            return cls(code=error.error_code, message=message, fields=[])
        fields = (error.details or {}).get("fields") or {}
        return cls(code=error.error_code, message=error.message, fields=sorted(fields.items()))


def chosen_version(value) -> str:
    return value if value in dict(PROFILE_CHOICES) else ROOT_PROFILE


def ucp_config_view(request, orgcode: str):
    org = visible_org(request, orgcode)
    role = selectors.membership_role(org=org, user=request.user)
    can_write = role in WRITE_ROLES
    if request.method == "POST" and not can_write:
        raise PermissionDenied

    config = selectors.ucp_config_view(org=org)
    version = chosen_version(request.POST.get("profile_version") or request.GET.get("profile"))
    form = ConfigChangesForm(
        request.POST or None,
        initial={
            "changes": "{}",
            "expected_revision": config["revision"],
            "profile_version": version,
        },
    )
    # Built first: a first read creates the org's signing key, which must not happen inside the
    # rolled-back preview (its key would differ from the one published).
    current_profile = pretty(profile_document(request, org, version))
    preview_config = preview_document = page_error = None

    if request.method == "POST" and form.is_valid():
        expected_revision = form.cleaned_data["expected_revision"]
        arguments = {
            "org": org,
            "expected_revision": expected_revision,
            "changes": form.cleaned_data["changes"],
        }
        try:
            if "_save" in request.POST:
                saved = services.ucp_config_set(actor=console_actor(request), **arguments)
                messages.success(
                    request,
                    f"Saved the UCP config of {org.orgcode}; it is now revision "
                    f"{saved['revision']}.",
                )
                return redirect("ucp-config", orgcode=org.orgcode)
            preview_config, preview_document = config_preview(request, version=version, **arguments)
        except errors.ServiceError as exc:
            page_error = PageError.of(exc, expected_revision=expected_revision)

    preview_profile = pretty(preview_document) if preview_document is not None else None
    context = {
        **admin.site.each_context(request),
        "title": f"UCP config of {org.orgcode}",
        "org": org,
        "role": role,
        "can_write": can_write,
        "config": config,
        "config_text": pretty(config),
        "form": form if can_write else None,
        "profile_choices": PROFILE_CHOICES,
        "profile_version": version,
        "profile_label": dict(PROFILE_CHOICES)[version],
        "current_profile": current_profile,
        "preview_config": pretty(preview_config) if preview_config is not None else None,
        "preview_config_diff": text_diff(
            pretty(services.audited_view(config)), pretty(services.audited_view(preview_config))
        )
        if preview_config is not None
        else None,
        "preview_profile": preview_profile,
        "preview_diff": text_diff(current_profile, preview_profile) if preview_profile else None,
        "page_error": page_error,
    }
    status = 200
    if page_error is not None:
        status = 409 if page_error.code == errors.RevisionMismatch.error_code else 400
    return TemplateResponse(request, "admin/ucp/ucp_config.html", context, status=status)
