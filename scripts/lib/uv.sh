# Shared by scripts/setup and scripts/lock (sourced, not run): the pinned uv, and where torch comes from.
#
# uv (https://docs.astral.sh/uv/) is the tool behind the locks: `uv pip compile` writes every
# transitive dependency at an exact version with hashes, and `uv pip sync` makes a venv hold
# exactly that set (it installs, changes and removes), in seconds. pip-tools does the same
# with pip, at a fraction of the speed and with a pip-version coupling of its own.

LOCK_PYTHON=3.11
LOCK_PLATFORM=x86_64-manylinux_2_28
PYTORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu

base_python() {
  local py=${PYTHON:-python$LOCK_PYTHON}
  command -v "$py" >/dev/null || py=python3
  if [ "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$LOCK_PYTHON" ]; then
    echo "error: the locks in locks/ are for Python $LOCK_PYTHON; set PYTHON to a python$LOCK_PYTHON" >&2
    exit 2
  fi
  echo "$py"
}

# The uv that locks/requirements-uv.txt pins (hashes checked), installed once under .cache/.
ensure_uv() {
  local version
  version=$(sed -n 's/^uv==\([^ ]*\).*/\1/p' locks/requirements-uv.txt)
  local home=.cache/uv-$version
  UV=$home/bin/uv
  if [ ! -x "$UV" ]; then
    "$(base_python)" -m pip install -qq --root-user-action=ignore --disable-pip-version-check --require-hashes --no-deps \
      --target "$home" -r locks/requirements-uv.txt
  fi
}

# cpu or cuda: $PIPELINE_TORCH when set, else cuda where `nvidia-smi -L` lists a GPU.
torch_build() {
  case "${PIPELINE_TORCH:-auto}" in
    cpu | cuda) echo "$PIPELINE_TORCH" ;;
    auto)
      if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
        echo cuda
      else
        echo cpu
      fi
      ;;
    *)
      echo "error: PIPELINE_TORCH=$PIPELINE_TORCH: use cpu or cuda (or leave it unset to detect)" >&2
      exit 2
      ;;
  esac
}

# The folders pip is configured to find wheels in (--find-links in pip.conf or $PIP_FIND_LINKS):
# uv does not read pip's configuration, so a CPU wheel that pip would take from there is passed on.
pip_find_links() {
  {
    echo "${PIP_FIND_LINKS:-}" | tr ' ' '\n'
    "$(base_python)" -m pip config list 2>/dev/null | sed -n "s/^[^.]*\.find-links='\(.*\)'$/\1/p" | tr ' ' '\n'
  } | sed 's#^file://##' | awk 'NF && !seen[$0]++'
}

# TORCH_SOURCES: the uv options that find the torch build $1 (cpu: a local CPU wheel pip
# already knows about, else PyTorch's CPU index; cuda: PyPI, whose Linux torch is the CUDA
# build). TORCH_FROM says where, for the setup's message.
torch_sources() {
  TORCH_SOURCES=()
  TORCH_FROM="PyPI"
  [ "$1" = cuda ] && return 0
  local dir
  while read -r dir; do
    if [ -d "$dir" ] && compgen -G "$dir/torch-*+cpu-*.whl" >/dev/null; then
      TORCH_SOURCES=(--find-links "$dir")
      TORCH_FROM="$dir (pip's find-links)"
      return 0
    fi
  done < <(pip_find_links)
  TORCH_SOURCES=(--extra-index-url "$PYTORCH_CPU_INDEX" --index-strategy unsafe-best-match)
  TORCH_FROM=$PYTORCH_CPU_INDEX
}
