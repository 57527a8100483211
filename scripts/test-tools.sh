# Sourced by ./run-tests: the programs the server's tests drive besides the JDK — Node.js and npm (OpenAI's client,
# playwright-core), curl, and Debian's Chromium (the chat page's browser test). Chromium is installed when it is
# missing and this is a Debian machine where we are root; otherwise the browser test fails and says what to install.

lowbit_test_tools() {
  local missing=""
  for tool in node npm curl; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
  [ -z "$missing" ] || echo "run-tests: not found:$missing; the server's client tests will fail until they are installed" >&2
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests: installing Debian's chromium for the chat page's browser test" >&2
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; } \
      || echo "run-tests: could not install chromium; the browser test will fail" >&2
  else
    echo "run-tests: chromium not found (Debian: apt-get install chromium); the browser test will fail" >&2
  fi
}
