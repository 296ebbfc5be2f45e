"""Creating a client: its key (shown once), its account and the role that gives it its unit's subtree."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.crypto import get_random_string

from cases.desk.models import Membership
from cases.desk.states import Role


def provision(client):
    """Give `client` (saved or not) its account, and keep the account's one role at the client's unit.

    The account cannot log in to the site (no usable password, inactive for sessions is not enough: DRF's
    authentication checks is_active, so it stays active and has no password)."""
    with transaction.atomic():
        if client.account_id is None:
            user = get_user_model()(username=f"api-{get_random_string(12).lower()}", first_name=client.name[:150])
            user.set_unusable_password()
            user.save()
            client.account = user
        elif client.account.first_name != client.name[:150]:
            client.account.first_name = client.name[:150]
            client.account.save(update_fields=["first_name"])
        memberships = Membership.objects.filter(user_id=client.account_id, role=Role.API_CLIENT)
        memberships.exclude(unit_id=client.unit_id).update(active=False)
        Membership.objects.update_or_create(
            user_id=client.account_id, unit_id=client.unit_id, role=Role.API_CLIENT, defaults={"active": True}
        )


def create_client(**fields):
    """A new client and its key, the only time the key is seen (only its hash is stored)."""
    from .models import ApiClient

    client = ApiClient(**fields)
    key = ApiClient.objects.assign_key(client)
    client.save()
    return client, key
