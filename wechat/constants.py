"""Values that settings.py, the emulator and the app must agree on (imports nothing)."""

# The bundled emulator's callback Token. It is public (it is in this repository), so a process
# with DEBUG off refuses every callback signed with it (wechat.callbacks.callback_token_problem).
EMULATOR_TOKEN = "emulator-token"

# The template id of the sign-up confirmation the bundled emulator's account has added, which
# settings.py uses for WECHAT_TEMPLATE_SIGNUP while the emulator is on.
EMULATOR_SIGNUP_TEMPLATE = "emulator-signup-template"
