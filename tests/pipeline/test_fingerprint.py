"""MinHash signatures, LSH band keys and the near-duplicate rule, on literal texts."""

from __future__ import annotations

import numpy as np

from broadsheet.pipeline.fingerprint import (
    BANDS,
    NUM_PERM,
    SHINGLE,
    band_keys,
    containment,
    decode_signature,
    estimate_jaccard,
    fingerprint,
    is_near_duplicate,
    minhash_signature,
    normalized_words,
    shingles,
)
from tests.conftest import make_draft

# A wire story, as the agency sent it.
WIRE = (
    "Firefighters in the northern town of Arlsberg brought a blaze at the Kessler paper mill "
    "under control on Tuesday evening after more than nine hours, the regional fire service said.",
    "About 140 firefighters and 30 engines from four districts fought the fire, which broke out "
    "in a storage hall holding 2,000 tonnes of recycled paper shortly after 9 a.m.",
    "Two workers were treated for smoke inhalation and released from hospital in the afternoon. "
    "Nobody else was hurt, fire service spokeswoman Petra Lindahl told reporters at the scene.",
    "Residents of Arlsberg and the neighbouring village of Tormund were told to keep windows "
    "closed as a column of dark smoke drifted east across the river valley.",
    "The Kessler mill, which employs around 600 people, said production lines in the main "
    "building were not affected and would restart on the night shift.",
    "The cause of the fire is not yet known. Police said investigators would enter the hall "
    "once it had cooled, probably on Thursday.",
)

# The same story re-run by a newspaper: its own dateline, the last paragraph cut for space.
RERUN = (
    "ARLSBERG (Nordpress) — " + WIRE[0],
    *WIRE[1:5],
)

# The same fire written up by another outlet's own reporter: same names and numbers.
OWN_REPORT = (
    "A fire that tore through a storage hall at the Kessler paper mill in Arlsberg on Tuesday "
    "took about 140 firefighters more than nine hours to bring under control.",
    "The hall held 2,000 tonnes of recycled paper. Smoke could be seen from Tormund, where "
    "villagers said the sky turned dark by lunchtime.",
    "Petra Lindahl, a spokeswoman for the fire service, said two workers had inhaled smoke but "
    "were released from hospital later in the day.",
    "For the 600 people who work at the mill, the question is what happens next. Kessler said "
    "the main building was untouched and the night shift would go ahead.",
    "Investigators hope to reach the hall by Thursday to find out how the fire started.",
)


def test_signature_is_fixed_size_deterministic_and_counts_shingles() -> None:
    signature, count = minhash_signature(WIRE)
    assert len(signature) == NUM_PERM * 4
    assert minhash_signature(WIRE) == (signature, count)
    words = normalized_words(" ".join(WIRE))
    assert count == len(shingles(WIRE)) == len(words) - SHINGLE + 1  # no 5 words recur
    assert decode_signature(signature).shape == (NUM_PERM,)


def test_case_punctuation_and_paragraph_breaks_do_not_change_the_signature() -> None:
    relaid = (" ".join(WIRE).upper().replace(",", " , "),)
    assert minhash_signature(relaid) == minhash_signature(WIRE)


def test_empty_and_short_bodies() -> None:
    assert minhash_signature(()) == (b"", 0)
    assert minhash_signature(("", "  ")) == (b"", 0)
    assert shingles(("Storm warning.",)) == {b"storm warning"}
    signature, count = minhash_signature(("Storm warning.",))
    assert count == 1 and len(signature) == NUM_PERM * 4


def test_jaccard_estimate_is_close_to_the_true_value() -> None:
    a, b = shingles(WIRE), shingles(RERUN)
    true = len(a & b) / len(a | b)
    estimate = estimate_jaccard(
        decode_signature(minhash_signature(WIRE)[0]), decode_signature(minhash_signature(RERUN)[0])
    )
    assert abs(estimate - true) < 0.15
    assert containment(1.0, 10, 10) == 1.0
    # |A| = 100 inside |B| = 125: J = 0.8, all of A is in B.
    assert containment(0.8, 100, 125) == 1.0
    assert containment(0.0, 100, 125) == 0.0
    assert containment(0.5, 0, 10) == 0.0


def test_band_keys_fit_a_signed_bigint_and_depend_on_band_position() -> None:
    signature = decode_signature(minhash_signature(WIRE)[0])
    keys = band_keys(signature)
    assert len(keys) == BANDS == len(set(keys))
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert band_keys(signature.copy()) == keys
    # The same values in every band still give a different key per band.
    flat = np.full(NUM_PERM, 7, dtype=np.uint32)
    assert len(set(band_keys(flat))) == BANDS


def test_rerun_with_dateline_and_trimmed_paragraph_is_a_near_duplicate() -> None:
    wire, wire_count = minhash_signature(WIRE)
    rerun, rerun_count = minhash_signature(RERUN)
    a, b = decode_signature(wire), decode_signature(rerun)
    assert is_near_duplicate(a, wire_count, b, rerun_count)
    assert is_near_duplicate(b, rerun_count, a, wire_count)  # symmetric
    # The two texts share LSH buckets, so the store finds them as candidates.
    assert set(band_keys(a)) & set(band_keys(b))


def test_a_few_edited_words_stay_a_near_duplicate() -> None:
    edited = list(WIRE)
    edited[1] = edited[1].replace("About 140", "Some 140").replace("fought", "battled")
    edited[4] = edited[4].replace("around 600", "about 600")
    wire, wire_count = minhash_signature(WIRE)
    copy, copy_count = minhash_signature(edited)
    assert is_near_duplicate(decode_signature(wire), wire_count, decode_signature(copy), copy_count)


def test_two_write_ups_of_one_event_are_not_near_duplicates() -> None:
    wire, wire_count = minhash_signature(WIRE)
    own, own_count = minhash_signature(OWN_REPORT)
    a, b = decode_signature(wire), decode_signature(own)
    assert estimate_jaccard(a, b) < 0.1
    assert not is_near_duplicate(a, wire_count, b, own_count)


def test_fingerprint_sets_hash_and_signature() -> None:
    draft = fingerprint(make_draft(paragraphs=WIRE))
    assert draft.content_hash
    assert (draft.minhash, draft.shingle_count) == minhash_signature(WIRE)
