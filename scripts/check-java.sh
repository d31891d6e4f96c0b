#!/bin/sh
# Make sure Java 17 or later is there for the Spark engine's tests (PySpark starts a JVM).
# Reads $JAVA_HOME/bin/java, else `java` on PATH. Fails with how to get it: a Spark test
# without Java would fail anyway, less clearly.
set -eu
java=java
if [ -n "${JAVA_HOME:-}" ]; then
    java="$JAVA_HOME/bin/java"
fi
if ! command -v "$java" >/dev/null 2>&1; then
    echo "check-java: no Java found (JAVA_HOME unset or wrong, no java on PATH); the Spark" \
         "tests need Java 17 or later: e.g. \`sudo apt-get install openjdk-17-jre-headless\`" \
         "(Debian/Ubuntu) or \`brew install openjdk@17\` (macOS), then set JAVA_HOME" >&2
    exit 1
fi
version=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
if [ -z "$version" ] || [ "$version" -lt 17 ]; then
    echo "check-java: $java is Java ${version:-of an unknown version}; the Spark tests need" \
         "Java 17 or later: e.g. \`sudo apt-get install openjdk-17-jre-headless\`, then set" \
         "JAVA_HOME to it" >&2
    exit 1
fi
