"""Creating a client and its key: the only time the key is seen (only its hash is stored)."""

from .models import ApiClient


def create_client(**fields):
    client = ApiClient(**fields)
    key = ApiClient.objects.assign_key(client)
    client.save()
    return client, key
