"""Administrators create and revoke clients; a key is shown once, when it is created, and never stored in clear."""

from django.contrib import admin, messages
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiCall, ApiClient

# The library's own key model has no unit, no scope and no account: the portal's clients are ApiClient.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiClient)
class ApiClientAdmin(SimpleHistoryAdmin):
    list_display = ("name", "prefix", "unit", "may_read", "may_receive", "may_act", "rate", "created", "revoked")
    list_filter = ("revoked", "may_receive", "may_act")
    search_fields = ("name", "prefix", "unit__name", "unit__code")
    autocomplete_fields = ("unit",)
    fields = ("name", "unit", "may_read", "may_receive", "may_act", "rate", "expiry_date", "revoked", "prefix")

    def get_readonly_fields(self, request, obj=None):
        # A revoked key stays revoked (the library refuses to undo it); its record stays for the call log.
        return ("prefix", "name", "unit", "revoked", "expiry_date") if obj and obj.revoked else ("prefix",)

    def has_delete_permission(self, request, obj=None):
        return False  # the call log and the dossiers' history point to it: revoke instead

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        key = ApiClient.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            f"Khóa API của «{obj.name}»: {key} — hãy lưu lại ngay; khóa sẽ không được hiển thị lại.",
        )


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("at", "client", "method", "path", "status", "duration_ms", "address")
    list_filter = ("status", "method")
    search_fields = ("path", "client__name")
    date_hierarchy = "at"
    list_select_related = ("client",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
