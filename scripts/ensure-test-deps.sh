#!/usr/bin/env bash
# Makes sure the real ZooKeeper clients and server the interop tests drive are present, and compiles the
# Java interop program. Run by `npm test` (pretest). As root it installs what is missing from Debian
# (zookeeper, zookeeper-bin, python3-kazoo, chromium for the web console's browser test, and a JDK if javac is
# absent); otherwise it fails loudly.
# Idempotent: when everything is present it only checks files and exits in well under a second.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java_src="$repo_root/test/interop/java/HerdInterop.java"
java_out="$repo_root/dist/interop-java"
zookeeper_jar=/usr/share/java/zookeeper.jar
curator_java_src="$repo_root/test/recipes/java/CuratorInterop.java"
curator_java_out="$repo_root/dist/recipes-java"
curator_recipes_jar=/usr/share/java/curator-recipes.jar

# Each needed thing: a check, and the Debian package that provides it.
missing_packages=()
need() { # need <package> <check command...>
  local package="$1"; shift
  if ! "$@" >/dev/null 2>&1; then missing_packages+=("$package"); fi
}

# Debian's kazoo is installed for the system interpreter; a python3 earlier on PATH may not see it.
need zookeeper test -f "$zookeeper_jar"
need zookeeper test -x /usr/share/zookeeper/bin/zkCli.sh
need libslf4j-java test -f /usr/share/java/slf4j-simple.jar
need libslf4j-java test -f /usr/share/java/slf4j-nop.jar
need zookeeper-bin test -x /usr/lib/zookeeper/bin/cli_mt
need python3-kazoo /usr/bin/python3 -c 'import kazoo'
need default-jdk-headless command -v javac
need libnetty-java test -f /usr/share/java/netty-handler.jar
need openssl command -v openssl
need default-jdk-headless test -x /usr/bin/java
need libcurator-recipes-java test -f "$curator_recipes_jar"
need chromium test -x /usr/bin/chromium

if ((${#missing_packages[@]} > 0)); then
  # Unique, in order.
  mapfile -t packages < <(printf '%s\n' "${missing_packages[@]}" | awk '!seen[$0]++')
  if [[ "$(id -u)" != 0 ]]; then
    echo "ensure-test-deps: missing Debian packages: ${packages[*]}" >&2
    echo "ensure-test-deps: run as root, or: sudo apt-get install -y ${packages[*]}" >&2
    exit 1
  fi
  echo "ensure-test-deps: installing ${packages[*]}" >&2
  # Only refresh the package lists when apt does not know the packages yet.
  for package in "${packages[@]}"; do
    if ! apt-cache show "$package" >/dev/null 2>&1; then
      apt-get update
      break
    fi
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
  # Re-check: a package that installed but still leaves something missing is a real failure.
  missing_packages=()
  need zookeeper test -f "$zookeeper_jar"
  need zookeeper-bin test -x /usr/lib/zookeeper/bin/cli_mt
  need python3-kazoo /usr/bin/python3 -c 'import kazoo'
  need default-jdk-headless command -v javac
need libnetty-java test -f /usr/share/java/netty-handler.jar
need openssl command -v openssl
  need chromium test -x /usr/bin/chromium
  need libcurator-recipes-java test -f "$curator_recipes_jar"
  if ((${#missing_packages[@]} > 0)); then
    echo "ensure-test-deps: still missing after install: ${missing_packages[*]}" >&2
    exit 1
  fi
fi

if [[ ! -d "$repo_root/node_modules/node-zookeeper-client" ]]; then
  echo "ensure-test-deps: node_modules/node-zookeeper-client is missing: run npm ci" >&2
  exit 1
fi
if [[ ! -d "$repo_root/node_modules/playwright-core" ]]; then
  echo "ensure-test-deps: node_modules/playwright-core is missing: run npm ci" >&2
  exit 1
fi

# Compile the Java interop program when its source (or the jar it links against) is newer.
class_file="$java_out/HerdInterop.class"
if [[ ! -f "$class_file" || "$java_src" -nt "$class_file" || "$zookeeper_jar" -nt "$class_file" ]]; then
  mkdir -p "$java_out"
  javac -nowarn -implicit:none -encoding UTF-8 -cp "$zookeeper_jar" -d "$java_out" "$java_src"
fi

# Compile the Curator interop program (recipes) when its source or Curator's jar is newer.
curator_class_file="$curator_java_out/CuratorInterop.class"
if [[ ! -f "$curator_class_file" || "$curator_java_src" -nt "$curator_class_file" || "$curator_recipes_jar" -nt "$curator_class_file" ]]; then
  mkdir -p "$curator_java_out"
  curator_cp="$curator_recipes_jar:/usr/share/java/curator-framework.jar:/usr/share/java/curator-client.jar:$zookeeper_jar"
  javac -nowarn -implicit:none -encoding UTF-8 -cp "$curator_cp" -d "$curator_java_out" "$curator_java_src"
fi
