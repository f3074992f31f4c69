-- Code tables (issue 11): the names of the codes the API sends, so that SQL, dashboards and the
-- demo show "Pay-per-use" rather than 3. code_names lists every code of every kind; the *_name
-- columns carry the same names on the rows (DEFAULT columns computed at insert, and on read for
-- parts written before this migration; an unknown code shows as itself). A test checks that the
-- columns and code_names agree. Names follow the BSS reference, §3.6 (English, as the dashboards).
-- A view over constants needs no data, so the file stays idempotent. Snapshot tables get no name
-- columns: their *_latest views keep the column list they were created with (SELECT * is expanded
-- at creation on 18.16) and migrations never drop; join code_names instead, as the dashboards do
-- (README, "Data model", has the query).
CREATE VIEW IF NOT EXISTS {{.DB}}.code_names {{.OnCluster}} AS
SELECT tupleElement(t, 1) AS kind, tupleElement(t, 2) AS code, tupleElement(t, 3) AS name
FROM
(
    SELECT arrayJoin([
        ('charge_mode', '1', 'Yearly/monthly'),
        ('charge_mode', '3', 'Pay-per-use'),
        ('charge_mode', '10', 'Reserved instance'),
        ('charge_mode', '11', 'Savings plan'),
        ('bill_type', '1', 'New purchase'),
        ('bill_type', '2', 'Renewal'),
        ('bill_type', '3', 'Change'),
        ('bill_type', '4', 'Refund (unsubscription)'),
        ('bill_type', '5', 'Usage'),
        ('bill_type', '8', 'Auto-renewal'),
        ('bill_type', '9', 'Adjustment (compensation)'),
        ('bill_type', '12', 'Hourly billing'),
        ('bill_type', '13', 'Unsubscription fee'),
        ('bill_type', '14', 'Support plan (month-end deduction)'),
        ('bill_type', '16', 'Adjustment (deduction)'),
        ('bill_type', '18', 'Monthly payment'),
        ('bill_type', '20', 'Refund (change)'),
        ('bill_type', '23', 'Savings plan deduction'),
        ('bill_type', '24', 'Refund (to pay-per-use)'),
        ('bill_type', '25', 'Truncation make-up'),
        ('bill_type', '103', 'Yearly payment'),
        ('summary_bill_type', '1', 'Expenditure'),
        ('summary_bill_type', '2', 'Refund'),
        ('summary_bill_type', '3', 'Adjustment'),
        ('account_type', '1', 'Cash'),
        ('account_type', '2', 'Credit'),
        ('account_type', '5', 'Bonus'),
        ('account_type', '7', 'Deposit'),
        ('package_status', '0', 'Not yet effective'),
        ('package_status', '1', 'In effect'),
        ('package_status', '2', 'Used up'),
        ('package_status', '3', 'Expired'),
        ('package_status', '4', 'Unsubscribed'),
        ('member_status', '1', 'Normal'),
        ('member_status', '2', 'Being created'),
        ('member_status', '3', 'Being closed'),
        ('member_status', '4', 'Closed'),
        ('member_status', '101', 'Registering'),
        ('member_status', '102', 'Awaiting activation')
    ]) AS t
);

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS charge_mode_name String
    DEFAULT transform(charge_mode, ['1', '3', '10', '11'], ['Yearly/monthly', 'Pay-per-use', 'Reserved instance', 'Savings plan'], charge_mode);

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS bill_type_name String
    DEFAULT transform(toString(bill_type),
        ['1', '2', '3', '4', '5', '8', '9', '12', '13', '14', '16', '18', '20', '23', '24', '25', '103'],
        ['New purchase', 'Renewal', 'Change', 'Refund (unsubscription)', 'Usage', 'Auto-renewal', 'Adjustment (compensation)',
         'Hourly billing', 'Unsubscription fee', 'Support plan (month-end deduction)', 'Adjustment (deduction)', 'Monthly payment',
         'Refund (change)', 'Savings plan deduction', 'Refund (to pay-per-use)', 'Truncation make-up', 'Yearly payment'],
        toString(bill_type));

ALTER TABLE {{.DB}}.bill_summaries {{.OnCluster}} ADD COLUMN IF NOT EXISTS charging_mode_name String
    DEFAULT transform(toString(charging_mode), ['1', '3', '10', '11'], ['Yearly/monthly', 'Pay-per-use', 'Reserved instance', 'Savings plan'], toString(charging_mode));

ALTER TABLE {{.DB}}.bill_summaries {{.OnCluster}} ADD COLUMN IF NOT EXISTS bill_type_name String
    DEFAULT transform(toString(bill_type), ['1', '2', '3'], ['Expenditure', 'Refund', 'Adjustment'], toString(bill_type));

ALTER TABLE {{.DB}}.accounts {{.OnCluster}} ADD COLUMN IF NOT EXISTS status_name String
    DEFAULT transform(toString(status), ['1', '2', '3', '4', '101', '102'],
        ['Normal', 'Being created', 'Being closed', 'Closed', 'Registering', 'Awaiting activation'], toString(status));
