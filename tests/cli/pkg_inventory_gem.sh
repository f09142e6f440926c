#!/bin/bash
. "$TESTS_DIR/lib.sh"
skip "not written yet"
