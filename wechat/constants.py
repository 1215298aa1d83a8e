"""Values that settings.py, the emulator and the app must agree on (imports nothing)."""

# The bundled emulator's callback Token. It is public (it is in this repository), so a process
# with DEBUG off refuses every callback signed with it (wechat.callbacks.callback_token_problem).
EMULATOR_TOKEN = "emulator-token"
