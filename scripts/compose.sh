# Sourced by infra.sh and infra-down.sh: which Docker Compose this machine has.
# Sets COMPOSE to the command (`docker compose` for v2, `docker-compose` for v1), or leaves it
# empty, and COMPOSE_NOTE to a sentence saying what was found when nothing usable was.
detect_compose() {
  COMPOSE=() COMPOSE_NOTE=""
  if ! command -v docker >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    COMPOSE_NOTE="no Docker installed"
    return 1
  fi
  if command -v docker >/dev/null 2>&1 && ! timeout 10 docker info >/dev/null 2>&1; then
    COMPOSE_NOTE="the docker command is installed but no Docker engine answers (is Docker Desktop or dockerd running?)"
    return 1
  fi
  if command -v docker >/dev/null 2>&1 && timeout 10 docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1 && timeout 10 docker-compose version >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    COMPOSE_NOTE="a Docker engine answers, but neither \`docker compose\` (v2) nor \`docker-compose\` (v1) is installed"
    return 1
  fi
}
