# Sourced by ./lowbit and ./run-tests: sets LOWBIT_JAVA_HOME to a JDK >= 25, or explains what to install.
# Order: $JAVA_HOME when it is a JDK 25+, then the newest JDK 25+ under /usr/lib/jvm (LOWBIT_JVM_DIR overrides,
# for testing), then javac on PATH.

lowbit_java_major() { # prints the major version of the JDK at $1, or nothing
  local rel="$1/release"
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
  fi
}

lowbit_find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(lowbit_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then LOWBIT_JAVA_HOME=$JAVA_HOME; return 0; fi
  fi
  for candidate in "${LOWBIT_JVM_DIR:-/usr/lib/jvm}"/*; do
    [ -d "$candidate" ] || continue
    major=$(lowbit_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate; best_major=$major
    fi
  done
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(lowbit_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then best=$candidate; fi
  fi
  if [ -z "$best" ]; then
    echo "lowbit: no JDK 25 or newer found (looked at \$JAVA_HOME, /usr/lib/jvm/* and javac on PATH)." >&2
    echo "lowbit: install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium repository) or 'openjdk-25-jdk'," >&2
    echo "lowbit: or set JAVA_HOME to a JDK 25 installation." >&2
    return 1
  fi
  LOWBIT_JAVA_HOME=$best
}

# Maven itself still calls sun.misc.Unsafe; on JDK 24+ that prints warnings on every build.
lowbit_maven_opts() {
  echo "${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
}
