"""Layout of the synthetic seizure: file and item names, headers, shares, injection rates and plans.

Constants only (no code): what each evidence item is called and holds, how the requested records
are shared between the items, at which rates rows are duplicated, varied, re-written as probable
duplicates or relatives, and which special or malformed rows each item's plan injects. The kinds
listed here are the keys of ``ground_truth["injected"]``.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- names and headers

EVIDENCE_DIR = "evidence"
GROUND_TRUTH_FILE = "ground_truth.json"
#: Same-person truth of the probable duplicates, one line each (see ``generate_seizure``).
LINKAGE_TRUTH_FILE = "linkage_truth.csv"
LINKAGE_TRUTH_HEADER: tuple[str, ...] = ("record_key_sha256", "person_key_sha256", "source_key_sha256", "kind")
HOTEL_ITEM = "住宿登记_2019.csv"
BANK_ITEM = "四要素_40万.txt"
COURIER_ITEM = "快递面单.xlsx"
EXCHANGE_ITEM = "交换数据.jsonl"
ZIP_ITEM = "会员数据.zip"
ZIP_MEMBER = "会员数据/注册用户.csv"
XLS_ITEM = "学生家长名单.xls"
ACCESS_ITEM = "学生家长名单.mdb"  # the XLS item's rows as an Access database with ``access=True``
SQL_ITEM = "商城会员.sql"
HEADERLESS_ITEM = "三要素.txt"
RAR_ITEM = "三要素.rar"  # the headerless item's container with ``rar=True`` (member: HEADERLESS_ITEM)
# Header shapes of issue 12 defect 5 (jobs/synth/items/headers.py): strict Big5 with traditional
# headers; a number, a role in brackets, another person's column, full-width letters and space; nested JSON.
BIG5_ITEM, FULLWIDTH_ITEM, NESTED_ITEM = "會員資料.csv", "客户登记表.csv", "会员接口.jsonl"
BIG5_HEADER: tuple[str, ...] = ("姓名", "證件號碼", "聯絡電話", "電子信箱")
FULLWIDTH_HEADER: tuple[str, ...] = ("姓名", "身份证号2", "手机号码（主）", "紧急联系人电话", "ＥＭＡＩＬ", "住\u3000址")
HEADER_ITEMS: tuple[str, ...] = (BIG5_ITEM, FULLWIDTH_ITEM, NESTED_ITEM)
ITEMS: tuple[str, ...] = (HOTEL_ITEM, BANK_ITEM, COURIER_ITEM, EXCHANGE_ITEM, ZIP_ITEM, XLS_ITEM, SQL_ITEM, HEADERLESS_ITEM,
                          *HEADER_ITEMS)
ZIP_HEADER: tuple[str, ...] = ("姓名", "手机号", "邮箱", "地址")
ZIP_TITLE = "注册用户导出 2019-04-12"
XLS_HEADER: tuple[str, ...] = ("姓名", "身份证号", "手机号", "住址", "班级")
XLS_MAX_DATA_ROWS_PER_SHEET = 65_535
SQL_TABLE = "member"
SQL_COLUMNS: tuple[str, ...] = ("id", "username", "realname", "idcard", "mobile", "email", "addr", "remark")
#: Columns of the items that only number the rows (configs/linkage.yaml counting.row_identifier_columns).
ROW_IDENTIFIER_COLUMNS: frozenset[str] = frozenset({"id"})
SQL_TUPLES_PER_INSERT = 200

#: The 33 columns of the widely reported hotel check-in dump (DOMAIN.md §4).
HOTEL_HEADER: tuple[str, ...] = (
    "Name", "CardNo", "Descriot", "CtfTp", "CtfId", "Gender", "Birthday", "Address", "Zip", "Dirty",
    "District1", "District2", "District3", "District4", "District5", "District6",
    "FirstNm", "LastNm", "Duty", "Mobile", "Tel", "Fax", "EMail", "Nation", "Taste", "Education",
    "Company", "CTel", "CAddress", "CZip", "Family", "Version", "id",
)
BANK_SEPARATOR = "----"
BANK_HEADER: tuple[str, ...] = ("姓名", "身份证号", "手机号", "银行卡号")
COURIER_HEADER: tuple[str, ...] = ("运单号", "寄件人", "寄件人电话", "寄件地址", "收件人", "收件人电话", "收件地址", "物品", "时间")
XLSX_MAX_DATA_ROWS_PER_SHEET = 100_000

#: Share of the requested records per item (the exchange item takes the remainder).
ITEM_SHARES = {HOTEL_ITEM: 30, BANK_ITEM: 16, COURIER_ITEM: 12, ZIP_ITEM: 6, XLS_ITEM: 4, SQL_ITEM: 6, HEADERLESS_ITEM: 6,
               **dict.fromkeys(HEADER_ITEMS, 2)}

MIN_RECORDS = 1_000
CHUNK_RECORDS = 50_000  # good rows generated per round over the four items

# --------------------------------------------------------------------------- injection rates
# Row roles (share of an item's good rows). Kinds forced by a plan occur at least once per item.

P_DUP = {HOTEL_ITEM: 0.08, BANK_ITEM: 0.06, COURIER_ITEM: 0.10,  # within-file duplicate rows
          ZIP_ITEM: 0.05, XLS_ITEM: 0.05, SQL_ITEM: 0.05, HEADERLESS_ITEM: 0.05, **dict.fromkeys(HEADER_ITEMS, 0.06)}
P_VARIANT = 0.35            # share of duplicate rows written in a format variant
P_EXCHANGE_COPY = 0.35      # exchange rows that copy a hotel/bank/courier record
P_EXCHANGE_DUP = 0.05       # exchange rows that repeat an earlier phone-list record
P_REUSE_PERSON = 0.05       # new phone-list records taking name + phone of a record in another item
P_BARE_PHONE = 0.02         # new phone-list records without a name
P_HOTEL_NO_MOBILE = 0.12
P_HOTEL_EMAIL = 0.20
P_PLACEHOLDER = 0.15        # a missing hotel Mobile/EMail written as a placeholder instead of ""
P_REUSE_CANDIDATE = 0.10    # base records offered for reuse by a phone list
BUFFER = 4096               # recent records kept per item for duplicates and copies
#: Probable duplicates (issue 5): share of an item's good rows that re-write a recent record of the
#: same person with a typo or a field missing. A distinct normalized record (counted in the upper
#: bound), the same person (removed from the lower bound); listed in ``linkage_truth.csv``.
P_PROBABLE = 0.03
P_EXCHANGE_PROBABLE = 0.08  # exchange copies of another item's record written as a probable duplicate
#: Hard negatives: a relative (another person, a name at least two edits away) sharing the phone and
#: address of a recent hotel or courier record; in the hotel item with the relative's own valid ID.
P_RELATIVE = 0.01

#: Plan of special base rows: kind -> share of the item's good rows.
ROW_PLAN = {
    HOTEL_ITEM: {"invalid_id_check_digit": 0.004, "invalid_id_impossible_date": 0.003,
                 "id_missing_records": 0.01, "csv_quoted_line_break": 0.001},
    BANK_ITEM: {"invalid_id_check_digit": 0.004, "invalid_id_impossible_date": 0.002,
                # issue 12 defect 1: cards that fail their shape check (the record stays tier_500)
                "bank_card_placeholder": 0.002, "bank_card_bad_length": 0.002, "bank_card_bad_format": 0.002},
    # issue 12 defect 4: a recent receiver again, with another (unmasked) sender: another record
    COURIER_ITEM: {"waybill_same_receiver_other_sender": 0.01},
    EXCHANGE_ITEM: {},
    ZIP_ITEM: {}, XLS_ITEM: {},
    # issue 12: a tuple repeated under the next auto-increment id (an identical row), and tuples
    # whose person columns are all NULL (their content is only in unmapped columns)
    SQL_ITEM: {"identical_row_other_id": 0.01, "unmapped_only_row": 0.01},
    HEADERLESS_ITEM: {},
    **{item: {} for item in HEADER_ITEMS},
}
#: Plan of extra lines inserted before a good row: kind -> lines per good row of the item.
INSERT_PLAN = {
    HOTEL_ITEM: {"malformed_unquoted_comma": 0.002, "malformed_truncated_line": 0.0005,
                 "malformed_junk_line": 0.0002, "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    BANK_ITEM: {"malformed_missing_field": 0.0005, "malformed_extra_field": 0.0005,
                "malformed_wrong_separator": 0.0003, "malformed_truncated_line": 0.0003,
                "malformed_junk_line": 0.0002, "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    COURIER_ITEM: {"blank_empty": 0.0005},
    EXCHANGE_ITEM: {"malformed_invalid_json": 0.001, "malformed_json_not_object": 0.0004,
                    "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    ZIP_ITEM: {"blank_empty": 0.0003},
    XLS_ITEM: {"blank_empty": 0.0005},
    SQL_ITEM: {"malformed_sql_value_count": 0.0005},
    HEADERLESS_ITEM: {"malformed_missing_field": 0.0005, "blank_empty": 0.0003},
    **{item: {} for item in HEADER_ITEMS},
}

#: How a probable duplicate differs from the record of the same person it re-writes.
PROBABLE_KINDS: tuple[str, ...] = (
    "probable_name_typo",          # one character of the name replaced (a typo or a homophone)
    "probable_field_missing",      # one field left empty (ID number, phone, address, bank card or e-mail)
    "probable_address_typo",       # one digit of the house or room number changed
    "probable_typo_and_missing",   # a name typo and a field left empty
)
VARIANT_KINDS: tuple[str, ...] = (
    "variant_id_15_digit", "variant_id_separators", "variant_fullwidth_digits",
    "variant_phone_prefix_spacing", "variant_name_traditional", "variant_name_inner_space",
    "variant_address_whitespace", "variant_bank_card_spacing", "variant_email_domain_case",
)
MALFORMED_KINDS: tuple[str, ...] = (
    "malformed_unquoted_comma", "malformed_truncated_line", "malformed_junk_line",
    "malformed_missing_field", "malformed_extra_field", "malformed_wrong_separator",
    "malformed_invalid_json", "malformed_json_not_object", "malformed_junk_before_header",
    "malformed_sql_value_count",
)
#: Every key of ``ground_truth["injected"]`` (always present, 0 when not injected).
INJECTED_KINDS: tuple[str, ...] = (
    ("duplicate_within_file", "duplicate_cross_file")
    + VARIANT_KINDS
    + ("invalid_id_check_digit", "invalid_id_impossible_date", "id_missing_records",
       "placeholder_for_missing", "csv_quoted_line_break", "same_person_other_field_set",
       "bare_phone_records", "relative_shared_phone_address",
       "bank_card_placeholder", "bank_card_bad_length", "bank_card_bad_format",
       "identical_row_other_id", "unmapped_only_row", "waybill_same_receiver_other_sender")
    + PROBABLE_KINDS
    + MALFORMED_KINDS
    + ("blank_lines",)
)

#: Junk lines of a dump (batch markers, rulers, totals), written as malformed lines.
JUNK_LINES = ("以下为第2批数据", "以下为第3批数据", "--------------------", "共计2000000条", "数据来源：内部导出")
