# Sourced by ./lowbit: lowbit_jvm_stderr reads the JVM's stderr and writes it to its own stderr, less the JVM's
# lines before lowbit's (the report of reading scripts/c2-directives.json and the warning that the Vector API is
# incubating). Everything after the first other line passes through unbuffered (progress lines use carriage returns).
lowbit_jvm_stderr() {
  local line
  while IFS= read -r line; do
    [[ $line == *"Using incubator modules"* || $line == *" compiler directives added" ]] || { printf '%s\n' "$line" >&2; break; }
  done
  exec cat >&2
}
