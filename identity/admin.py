"""Console pages for identity: customer accounts (create customers, set their sign-in password)
and identity links (inspect, revoke). Each staff user sees only the orgs they belong to."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password

from catalog.models import Customer
from identity import services
from identity.models import CustomerAccount, IdentityLink, LinkStatus
from orgconfig.models import Org
from orgconfig.selectors import orgs_of_user
from ucp.admin import OrgScopedAdmin


class CustomerAccountForm(forms.ModelForm):
    """Pick an existing customer of the org, or describe a new one; optionally set a password."""

    org = forms.ModelChoiceField(queryset=Org.objects.none())
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.none(), required=False, help_text="Leave empty to create one."
    )
    public_id = forms.CharField(required=False, max_length=100, help_text="e.g. cust_42")
    name = forms.CharField(required=False, max_length=300)
    email = forms.EmailField(required=False)
    phone_number = forms.CharField(required=False, max_length=40)
    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Sets the password the customer signs in with; leave empty to keep it.",
    )

    class Meta:
        model = CustomerAccount
        fields = []

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("customer"):
            for name in ("public_id", "name", "email"):
                if not data.get(name):
                    self.add_error(name, "Required when no existing customer is picked.")
        customer = data.get("customer")
        if (
            not customer
            and data.get("org")
            and Customer.objects.filter(org=data["org"], public_id=data.get("public_id")).exists()
        ):
            self.add_error("public_id", "The org already has a customer with this id.")
        if (
            customer
            and CustomerAccount.objects.filter(customer=customer)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("customer", "This customer already has an account.")
        if customer and data.get("org") and customer.org_id != data["org"].pk:
            self.add_error("customer", "This customer belongs to another org.")
        if data.get("new_password"):
            validate_password(data["new_password"])
        return data


@admin.register(CustomerAccount)
class CustomerAccountAdmin(OrgScopedAdmin):
    form = CustomerAccountForm
    list_display = ["customer", "org", "has_password", "created_at"]
    list_filter = ["org"]
    search_fields = ["customer__public_id", "customer__email", "customer__name"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        orgs = orgs_of_user(user=request.user)
        form.base_fields["org"].queryset = orgs
        form.base_fields["customer"].queryset = Customer.objects.filter(org__in=orgs)
        if obj is not None:
            form.base_fields["org"].initial = obj.org_id
            form.base_fields["customer"].initial = obj.customer_id
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        actor = f"user:{request.user.pk}"
        customer = obj.customer if change else data.get("customer")
        if customer is None:
            customer = services.customer_create(
                org=data["org"],
                public_id=data["public_id"],
                name=data["name"],
                email=data["email"],
                phone_number=data.get("phone_number", ""),
                actor=actor,
            )
        account = services.account_for_customer(customer=customer)
        if data.get("new_password"):
            services.account_set_password(
                account=account, password=data["new_password"], actor=actor
            )
        # The admin logs and redirects with `obj`: make it the account the services saved.
        for name in ("pk", "org", "customer", "user", "password", "created_at", "updated_at"):
            setattr(obj, name, getattr(account, name))
        obj._state.adding = False


@admin.register(IdentityLink)
class IdentityLinkAdmin(OrgScopedAdmin):
    list_display = ["guid", "customer", "platform", "status", "activated_at", "revoked_at"]
    list_filter = ["status", "org"]
    search_fields = ["customer__public_id", "platform__caption", "guid"]
    readonly_fields = [f.name for f in IdentityLink._meta.fields]
    actions = ["revoke_links"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected links and all their tokens")
    def revoke_links(self, request, queryset):
        revoked = 0
        for link in queryset.exclude(status=LinkStatus.REVOKED):
            services.link_revoke(link=link, actor=f"user:{request.user.pk}")
            revoked += 1
        messages.success(request, f"Revoked {revoked} link(s).")
