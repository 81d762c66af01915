"""API token authentication: `Authorization: Bearer tutti_…` resolves to one organization and role."""

from rest_framework import authentication, exceptions

from rollout.selectors import access_for_api_key

TOKEN_MESSAGES = {
    "token_invalid": "The API token is not valid.",
    "token_expired": "The API token has expired. Ask an admin for a new one.",
    "token_revoked": "The API token has been revoked.",
}


class TokenUser:
    """Stands in for request.user when a system calls with an API token (there is no person)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token):
        self.token = token
        self.pk = None
        self.id = None
        self.email = f"token:{token.prefix}"

    def __str__(self) -> str:
        return f"API token {self.token.name}"


class TokenAuthFailed(exceptions.AuthenticationFailed):
    def __init__(self, code: str):
        super().__init__(detail=TOKEN_MESSAGES[code], code=code)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if len(header) != 2:
            raise TokenAuthFailed("token_invalid")
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise TokenAuthFailed("token_invalid") from exc
        access, failure = access_for_api_key(key)
        if access is None:
            raise TokenAuthFailed(failure)
        request.token_access = access
        # A personal token acts as its member; a system's token has no person behind it.
        return access.user or TokenUser(access.token), access.token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
