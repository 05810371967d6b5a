#!/usr/bin/env bash
# End-to-end checks of signed bundles: keygen -> delegate -> create -> verify/extract, then
# one bundle per refusal, each with its own exit code (docs/deploy.md).
#   bundle_test.sh PATH_TO_LEDGE
ledge="$1"
example="$(dirname "$0")/../../examples/fashion_mnist"
source "$(dirname "$0")/lib.sh"
# Bundle refusals must also be exactly one line on stderr.
expect_one_line_error() {
  expect_error "$@"
  check "$1: one stderr line" test "$(wc -l <"$tmp/err")" -eq 1
}
# expect_rejection NAME EXIT_CODE REASON BUNDLE [VERIFY OPTIONS...]: verify refuses with the
# code, names the reason on stderr and in --json.
expect_rejection() {
  local name="$1" code="$2" reason="$3" bundle="$4"; shift 4
  expect_one_line_error "$name" "$code" "$ledge" bundle verify "$bundle" --trust "$tmp/root.pub" "$@"
  check "$name: reason on stderr" grep -q "bundle rejected \[$reason\]" "$tmp/err"
  "$ledge" bundle verify "$bundle" --trust "$tmp/root.pub" --json "$@" >"$tmp/verdict.json" 2>/dev/null
  check "$name: reason in --json" grep -q "\"rejection\": \"$reason\"" "$tmp/verdict.json"
}
flip_last_byte() {  # flips one bit of a file's last byte, in place
  local f="$1" size b
  size=$(stat -c %s "$f")
  b=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' ')
  printf "\\x$(printf %02x $((b ^ 1)))" | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc status=none
}

# Keys: the root and two signing keys; a third key nobody delegated.
for k in root a b outsider; do
  "$ledge" keygen -o "$tmp/$k" >"$tmp/keygen.txt"
  check "keygen $k" test -s "$tmp/$k.pub"
done
check "keygen prints the key id" grep -Eq '^key id: [0-9a-f]{16}$' "$tmp/keygen.txt"
check "secret key is private" test "$(stat -c %a "$tmp/root.key")" = 600
expect_one_line_error "keygen will not replace a key" 2 "$ledge" keygen -o "$tmp/root"

# Delegations: version 1 delegates a and b; version 2 rotates a out (revoked) and c in.
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/a.pub" --key "$tmp/b.pub" \
  --version 1 -o "$tmp/d1.json" >/dev/null
check "delegate exit 0" test $? -eq 0
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/a.pub" --key "$tmp/b.pub" \
  --threshold 2 --version 1 -o "$tmp/d1_two.json" >/dev/null
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/b.pub" --key "$tmp/outsider.pub" \
  --revoke "$tmp/a.pub" --version 2 -o "$tmp/d2.json" >/dev/null
check "delegate with --revoke" grep -q "$(grep -o '"key_id": "[0-9a-f]*"' "$tmp/a.pub" | cut -d'"' -f4)" "$tmp/d2.json"
"$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/a.pub" --version 1 --now 1000 \
  --expires 1h -o "$tmp/d1_expired.json" >/dev/null
"$ledge" bundle delegate --root "$tmp/a.key" --key "$tmp/a.pub" --version 1 -o "$tmp/d1_fake.json" \
  >/dev/null
expect_one_line_error "threshold above the key count" 2 "$ledge" bundle delegate --root "$tmp/root.key" \
  --key "$tmp/a.pub" --threshold 2 --version 1 -o "$tmp/bad.json"
expect_one_line_error "bad --expires" 2 "$ledge" bundle delegate --root "$tmp/root.key" --key "$tmp/a.pub" \
  --version 1 --expires 3w -o "$tmp/bad.json"

# The model and its golden vectors (outputs from ledge run itself).
"$ledge" compile "$example/model.onnx" -o "$tmp/model.ledge" >/dev/null
mkdir -p "$tmp/golden"
for i in 0 1; do
  cp "$example/sample_$i.npy" "$tmp/golden/case$i.input.image.npy"
  "$ledge" run "$tmp/model.ledge" --input image="$tmp/golden/case$i.input.image.npy" \
    --output-dir "$tmp/run$i" --format npy >/dev/null
  cp "$tmp/run$i/logits.npy" "$tmp/golden/case$i.output.logits.npy"
done
create() {  # create OUT [OPTIONS...]: version 3 unless given, signed by a under d1
  local out="$1"; shift
  "$ledge" bundle create --model "$tmp/model.ledge" --golden "$tmp/golden" --name fashion "$@" \
    -o "$out" >/dev/null
}
create "$tmp/ok.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json"
check "create exit 0" test $? -eq 0
"$ledge" bundle verify "$tmp/ok.bundle" --trust "$tmp/root.pub" --installed-version 2 >"$tmp/v.txt"
check "verify exit 0" test $? -eq 0
check "verify names the bundle" grep -q '^ok: fashion version 3, 5 file(s), 2 golden case(s)' "$tmp/v.txt"
"$ledge" bundle verify "$tmp/ok.bundle" --trust "$tmp/root.pub" --json >"$tmp/v.json"
check "verify --json" grep -q '"ok": true' "$tmp/v.json"
check "verify --json names the signer" grep -q '"delegation_version": 1' "$tmp/v.json"
"$ledge" bundle extract "$tmp/ok.bundle" --trust "$tmp/root.pub" -o "$tmp/slot" >/dev/null
check "extract exit 0" test $? -eq 0
check "extract writes the model" cmp -s "$tmp/slot/model.ledge" "$tmp/model.ledge"
check "extract writes the goldens" cmp -s "$tmp/slot/case1.output.logits.npy" "$tmp/golden/case1.output.logits.npy"
"$ledge" run "$tmp/slot/model.ledge" --input image="$tmp/slot/case0.input.image.npy" \
  --output-dir "$tmp/slot_run" --format npy >/dev/null
check "extracted model runs to its golden output" cmp -s "$tmp/slot_run/logits.npy" "$tmp/slot/case0.output.logits.npy"

# Refusals by create itself: bad inputs, and signers devices would refuse.
expect_one_line_error "create: signer not delegated" 2 create "$tmp/x.bundle" --version 3 \
  --key "$tmp/outsider.key" --delegation "$tmp/d1.json"
expect_one_line_error "create: below threshold" 2 create "$tmp/x.bundle" --version 3 --key "$tmp/a.key" \
  --delegation "$tmp/d1_two.json"
expect_one_line_error "create: unknown cpu feature" 2 create "$tmp/x.bundle" --version 3 --key "$tmp/a.key" \
  --delegation "$tmp/d1.json" --cpu-features avx3
mkdir -p "$tmp/golden_bad" && cp "$tmp/golden/case0.input.image.npy" "$tmp/golden_bad/case0.input.pixels.npy"
cp "$tmp/golden/case0.output.logits.npy" "$tmp/golden_bad/"
expect_one_line_error "create: golden tensor the model lacks" 2 "$ledge" bundle create --model "$tmp/model.ledge" \
  --golden "$tmp/golden_bad" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json" -o "$tmp/x.bundle"
expect_one_line_error "create: not an artifact" 3 "$ledge" bundle create --model "$example/model.onnx" \
  --golden "$tmp/golden" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json" -o "$tmp/x.bundle"

# Each refusal of verify, each with its own exit code.
head -c 200 "$tmp/ok.bundle" >"$tmp/truncated.bundle"
expect_rejection "truncated" 10 malformed "$tmp/truncated.bundle"
cp "$example/model.onnx" "$tmp/garbage.bundle"
expect_rejection "not a bundle" 10 malformed "$tmp/garbage.bundle"
cp "$tmp/ok.bundle" "$tmp/tampered.bundle" && flip_last_byte "$tmp/tampered.bundle"
expect_rejection "tampered" 11 tampered "$tmp/tampered.bundle"
expect_one_line_error "extract refuses tampered" 11 "$ledge" bundle extract "$tmp/tampered.bundle" \
  --trust "$tmp/root.pub" -o "$tmp/slot_bad"
check "nothing extracted from a tampered bundle" test ! -e "$tmp/slot_bad/model.ledge"
create "$tmp/unknown.bundle" --version 3 --key "$tmp/outsider.key" --delegation "$tmp/d1.json" --unchecked
expect_rejection "unknown key" 12 unknown_key "$tmp/unknown.bundle"
create "$tmp/revoked.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d2.json" --unchecked
expect_rejection "revoked key" 13 revoked_key "$tmp/revoked.bundle"
create "$tmp/rotated.bundle" --version 4 --key "$tmp/outsider.key" --delegation "$tmp/d2.json"
"$ledge" bundle verify "$tmp/rotated.bundle" --trust "$tmp/root.pub" --min-delegation-version 2 >/dev/null
check "rotated key verifies" test $? -eq 0
create "$tmp/dup.bundle" --version 3 --key "$tmp/a.key" --key "$tmp/a.key" --delegation "$tmp/d1_two.json" --unchecked
expect_rejection "duplicate signature counts once" 14 threshold "$tmp/dup.bundle"
create "$tmp/two.bundle" --version 3 --key "$tmp/a.key" --key "$tmp/b.key" --delegation "$tmp/d1_two.json"
"$ledge" bundle verify "$tmp/two.bundle" --trust "$tmp/root.pub" >/dev/null
check "two of two verifies" test $? -eq 0
create "$tmp/expired.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json" --now 1000 --expires 1h
expect_rejection "expired bundle" 15 expired "$tmp/expired.bundle"
create "$tmp/expired_d.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1_expired.json"
expect_rejection "expired delegation" 15 expired "$tmp/expired_d.bundle"
expect_rejection "rollback" 16 rollback "$tmp/ok.bundle" --installed-version 3
create "$tmp/avx512.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json" --cpu-features avx2,avx512f
expect_rejection "cpu feature" 17 target_mismatch "$tmp/avx512.bundle" --cpu-features avx2,fma
create "$tmp/runtime.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1.json" --min-runtime 9.0.0
expect_rejection "runtime version" 17 target_mismatch "$tmp/runtime.bundle"
create "$tmp/fake_root.bundle" --version 3 --key "$tmp/a.key" --delegation "$tmp/d1_fake.json"
expect_rejection "delegation not signed by root" 18 delegation_untrusted "$tmp/fake_root.bundle"
expect_rejection "stale delegation" 19 delegation_stale "$tmp/ok.bundle" --min-delegation-version 2
expect_one_line_error "missing trust file" 5 "$ledge" bundle verify "$tmp/ok.bundle" --trust "$tmp/none.pub"
expect_one_line_error "missing bundle" 5 "$ledge" bundle verify "$tmp/none.bundle" --trust "$tmp/root.pub"

finish "bundle CLI tests"
