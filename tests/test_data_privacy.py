import pandas as pd

from riskkit.data.privacy import mask_pii


def test_masks_id_phone_email_and_individual_names_only(tables):
    masked = mask_pii(tables["customers"])
    assert masked["id_number"].tolist() == ["911*************1X", "913*************2Y", "110*************34"]
    assert masked["phone"].tolist() == ["****0101", "****0202", "****0303"]
    assert masked["email"].tolist() == ["f***@acme.example", "a***@bright.example", "w***@example.com"]
    assert masked["name"].tolist() == ["Acme Steel Co., Ltd.", "Bright Retail Co., Ltd.", "W*** W**"]
    for original, shown in zip(tables["customers"]["id_number"], masked["id_number"]):
        assert original not in shown
    assert tables["customers"]["phone"].iloc[0] == "+86 10 5555 0101"  # input untouched


def test_missing_and_malformed_values():
    df = pd.DataFrame({"id_number": [None, "12"], "email": [None, "no-at-sign"], "phone": [None, "12"]})
    masked = mask_pii(df)
    assert masked["id_number"].isna().iloc[0] and masked["id_number"].iloc[1] == "*****"
    assert masked["email"].isna().iloc[0] and masked["email"].iloc[1] == "***"
    assert masked["phone"].iloc[1] == "****12"


def test_unmask_is_explicit(tables):
    pd.testing.assert_frame_equal(mask_pii(tables["customers"], unmask=True), tables["customers"])
