"""Values that settings.py, the emulator and the app must agree on (imports nothing)."""

# The bundled emulator's callback Token. It is public (it is in this repository), so a process
# with DEBUG off refuses every callback signed with it (wechat.callbacks.callback_token_problem).
EMULATOR_TOKEN = "emulator-token"

# The template id of the sign-up confirmation the bundled emulator's account has added, which
# settings.py uses for WECHAT_TEMPLATE_SIGNUP while the emulator is on.
EMULATOR_SIGNUP_TEMPLATE = "emulator-signup-template"

# The template the bundled emulator's account has for push notices to their authors (approved,
# sent, failed), which settings.py uses for WECHAT_TEMPLATE_PUSH while the emulator is on. The
# emulator knows both ids as template messages and as subscription-notification templates.
EMULATOR_PUSH_TEMPLATE = "emulator-push-template"
