# Sourced by ./bulwark and .ci/run: points JAVA_HOME at a JDK 25 or newer, or fails clearly.
# Order: an existing JAVA_HOME that is new enough, `java` on the PATH, then the JDKs under /usr/lib/jvm.
bulwark_java_feature() { # prints the feature release (17, 25, ...) of the java binary given
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1
}
bulwark_select_jdk() {
  local candidate feature
  for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    feature=$(bulwark_java_feature "$candidate/bin/java") || continue # a broken candidate: try the next
    if [ -n "$feature" ] && [ "$feature" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "bulwark: no JDK 25 found (looked at JAVA_HOME, java on the PATH and /usr/lib/jvm/*); install a JDK 25 and set JAVA_HOME" >&2
  return 1
}
