#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft) for development and tests, from Maven Central jars.
#
#   scripts/kafka.sh fetch            resolve the jars into the cache (idempotent)
#   scripts/kafka.sh fetched          exit 0 when the jars are already in the cache
#   scripts/kafka.sh start [--fresh]  format if needed, start, wait until it answers (--fresh: wipe data first)
#   scripts/kafka.sh stop             stop it cleanly (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh status           exit 0 when it is running
#   scripts/kafka.sh classpath        print the classpath (for the kafka-consumer-groups wrapper)
#
# Environment:
#   KAFKA_VERSION          Apache Kafka release (default 4.4.0, the newest 4.x on Maven Central when written)
#   KAFKA_PORT             client listener on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller listener (default KAFKA_PORT + 1)
#   KAFKA_SASL_PORT        SASL_PLAINTEXT listener with SCRAM-SHA-256/512 (default KAFKA_PORT + 2)
#   KAFKA_SCRAM_USER, KAFKA_SCRAM_PASSWORD  the SCRAM user created when the broker is formatted
#                          (default rewind / rewind-scram-test: a local test credential, nothing more)
#   KAFKA_SSL_PORT         SSL listener that requires a client certificate (default KAFKA_PORT + 3); its
#                          throwaway CA, broker and client certificates are made in $KAFKA_DATA_DIR/tls
#   KAFKA_TLS_KEY_PASSWORD the client key's passphrase there (default rewind-tls-test, a test value)
#   REWIND_CACHE           cache for jars and broker data, outside the repo (default ~/.cache/rewind)
#   KAFKA_DATA_DIR         this broker's data, config and logs (default $REWIND_CACHE/broker-$KAFKA_PORT)
set -euo pipefail

KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_SASL_PORT=${KAFKA_SASL_PORT:-$((KAFKA_PORT + 2))}
KAFKA_SCRAM_USER=${KAFKA_SCRAM_USER:-rewind}
KAFKA_SCRAM_PASSWORD=${KAFKA_SCRAM_PASSWORD:-rewind-scram-test}
KAFKA_SSL_PORT=${KAFKA_SSL_PORT:-$((KAFKA_PORT + 3))}
KAFKA_TLS_KEY_PASSWORD=${KAFKA_TLS_KEY_PASSWORD:-rewind-tls-test}
REWIND_CACHE=${REWIND_CACHE:-$HOME/.cache/rewind}
KAFKA_HOME="$REWIND_CACHE/kafka-$KAFKA_VERSION"
KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$REWIND_CACHE/broker-$KAFKA_PORT}
PID_FILE="$KAFKA_DATA_DIR/broker.pid"
TLS_DIR="$KAFKA_DATA_DIR/tls"

log() { echo "kafka.sh: $*" >&2; }

fetch() {
  if [[ -f "$KAFKA_HOME/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn is required (apt-get install maven)"; exit 1; }
  mkdir -p "$KAFKA_HOME"
  # A throwaway POM whose runtime dependencies are exactly the broker, the tools, and a log binding.
  cat >"$KAFKA_HOME/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.rewind</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
</project>
POM
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$KAFKA_HOME/libs"
  (cd "$KAFKA_HOME" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=libs)
  cat >"$KAFKA_HOME/log4j2.properties" <<'L4J'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d{ISO8601}] %-5p %m (%c{1})%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
L4J
  cat >"$KAFKA_HOME/tools-log4j2.properties" <<'L4J'
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %-5p %m%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
L4J
  touch "$KAFKA_HOME/.complete"
  log "Kafka $KAFKA_VERSION jars in $KAFKA_HOME/libs"
}

# A throwaway CA with a broker certificate for 127.0.0.1 and a client certificate (its key encrypted,
# as production keys often are), plus an unrelated CA for the "wrong CA" test. Made once per data dir.
make_tls() {
  [[ -f "$TLS_DIR/.complete" ]] && return 0
  command -v openssl >/dev/null || { log "openssl is required (apt-get install openssl)"; exit 1; }
  rm -rf "$TLS_DIR" && mkdir -p "$TLS_DIR"
  local d=$TLS_DIR store_pw
  store_pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  for ca in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Rewind test $ca" \
      -keyout "$d/$ca.key" -out "$d/$ca.pem" 2>>"$d/openssl.log"
  done
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/broker.key" -out "$d/broker.csr" 2>>"$d/openssl.log"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/broker.ext"
  openssl x509 -req -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$d/broker.ext" -out "$d/broker.pem" 2>>"$d/openssl.log"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=rewind-client" -keyout "$d/client-plain.key" -out "$d/client.csr" 2>>"$d/openssl.log"
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$d/client.ext" -out "$d/client.pem" 2>>"$d/openssl.log"
  openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/client-plain.key" -out "$d/client.key" \
    -passout "pass:$KAFKA_TLS_KEY_PASSWORD" 2>>"$d/openssl.log"
  # Java reads PKCS#12 with these classic algorithms on every JDK; the password never leaves this dir.
  openssl pkcs12 -export -in "$d/broker.pem" -inkey "$d/broker.key" -name broker -out "$d/broker.p12" \
    -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -passout "pass:$store_pw" 2>>"$d/openssl.log"
  printf '%s' "$store_pw" >"$d/broker.p12.password"
  rm -f "$d"/*.csr "$d"/*.ext "$d/client-plain.key" "$d/ca.key" "$d/other-ca.key" "$d/broker.key"
  touch "$d/.complete"
}

running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid=$(cat "$PID_FILE")
  kill -0 "$pid" 2>/dev/null || return 1
  # A pid file can outlive its broker and pids are reused (pid_max is 32768 here): only a process started
  # with this broker's own properties file is this broker. (Once, stopping a private test broker whose
  # pid file was stale stopped the shared one.)
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$KAFKA_DATA_DIR/server.properties"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null
}

start() {
  local fresh=0
  [[ "${1:-}" == "--fresh" ]] && fresh=1
  fetch
  if running; then
    if [[ $fresh == 1 ]]; then stop; else log "already running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PID_FILE"))"; return 0; fi
  fi
  if port_open; then
    log "port $KAFKA_PORT is taken by another process; set KAFKA_PORT"; exit 1
  fi
  [[ $fresh == 1 ]] && rm -rf "$KAFKA_DATA_DIR"
  mkdir -p "$KAFKA_DATA_DIR/data"
  make_tls
  cat >"$KAFKA_DATA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$TLS_DIR/broker.p12
listener.name.ssl.ssl.keystore.password=$(cat "$TLS_DIR/broker.p12.password")
listener.name.ssl.ssl.key.password=$(cat "$TLS_DIR/broker.p12.password")
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$TLS_DIR/ca.pem
listener.name.ssl.ssl.client.auth=required
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$KAFKA_DATA_DIR/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# Tests and benchmarks create many groups and partitions on one small machine.
group.max.size=1000
num.network.threads=2
num.io.threads=4
log.retention.hours=-1
PROPS
  local java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KAFKA_HOME/log4j2.properties")
  if [[ ! -f "$KAFKA_DATA_DIR/data/meta.properties" ]]; then
    local cluster_id
    cluster_id=$(java -cp "$KAFKA_HOME/libs/*" "-Dlog4j2.configurationFile=$KAFKA_HOME/tools-log4j2.properties" \
      kafka.tools.StorageTool random-uuid)
    java -cp "$KAFKA_HOME/libs/*" "-Dlog4j2.configurationFile=$KAFKA_HOME/tools-log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DATA_DIR/server.properties" \
      --add-scram "SCRAM-SHA-256=[name=$KAFKA_SCRAM_USER,password=$KAFKA_SCRAM_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SCRAM_USER,password=$KAFKA_SCRAM_PASSWORD]" >"$KAFKA_DATA_DIR/format.log" 2>&1 \
      || { cat "$KAFKA_DATA_DIR/format.log" >&2; exit 1; }
  fi
  : >"$KAFKA_DATA_DIR/broker.log"
  nohup java "${java_opts[@]}" -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_DATA_DIR/server.properties" \
    >>"$KAFKA_DATA_DIR/broker.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (pid $!, log $KAFKA_DATA_DIR/broker.log)"
  # A broker holding tens of thousands of groups loads its offsets for longer than a fresh one.
  local deadline=$((SECONDS + ${KAFKA_START_SECONDS:-90}))
  until grep -q "Kafka Server started" "$KAFKA_DATA_DIR/broker.log" 2>/dev/null && port_open; do
    if ! running; then log "broker exited during start-up:"; tail -n 40 "$KAFKA_DATA_DIR/broker.log" >&2; exit 1; fi
    if ((SECONDS > deadline)); then log "broker did not start within ${KAFKA_START_SECONDS:-90} s:"; tail -n 40 "$KAFKA_DATA_DIR/broker.log" >&2; stop; exit 1; fi
    sleep 0.5
  done
  log "ready on 127.0.0.1:$KAFKA_PORT"
}

stop() {
  if ! running; then rm -f "$PID_FILE"; log "not running"; return 0; fi
  local pid
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "broker ignored SIGTERM for 30 s; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  fetched) [[ -f "$KAFKA_HOME/.complete" ]] ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) if running; then echo "running on 127.0.0.1:$KAFKA_PORT (pid $(cat "$PID_FILE"))"; else echo "not running"; exit 1; fi ;;
  classpath) fetch; echo "$KAFKA_HOME/libs/*" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
