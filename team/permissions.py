"""Who may do what, for the API's views: every teammate reads, admins manage."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from team.selectors import is_team_admin

ADMINS_ONLY = "Only team admins may do this. Ask an admin on your team."


class IsTeamAdmin(BasePermission):
    """The user is an active admin of the team (a superuser without a role counts as one).

    Put it after IsAuthenticated, so that an anonymous request still answers 401.
    """

    message = ADMINS_ONLY

    def has_permission(self, request, view) -> bool:
        return is_team_admin(request.user)


class IsTeamAdminOrReadOnly(IsTeamAdmin):
    """Every teammate reads (GET, HEAD, OPTIONS); only admins write.

    Its own class rather than ``ReadOnly | IsTeamAdmin``: DRF's composed permissions drop
    the message, and a refused agent should read why.
    """

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or super().has_permission(request, view)
