"""DRF token authentication with the lookup written once, in SQL.

Same tokens, same answers (401 with "WWW-Authenticate: Token" for an unknown key or an
inactive user) as rest_framework.authentication.TokenAuthentication. Every API call makes
this lookup, and building it through the ORM (select_related, then compiling the query)
cost about as much Python as the rest of a conversation-list request; the profile in
bench/README.md shows it. One parameterised statement reads the user by token key.
"""

from django.contrib.auth import get_user_model
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str):
        user_model = get_user_model()
        users = list(
            user_model.objects.raw(
                f"SELECT u.* FROM {user_model._meta.db_table} u "  # noqa: S608 (model names only)
                f"JOIN {Token._meta.db_table} t ON t.user_id = u.{user_model._meta.pk.column} "
                "WHERE t.key = %s",
                [key],
            )
        )
        if not users:
            raise exceptions.AuthenticationFailed("Invalid token.")
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)
