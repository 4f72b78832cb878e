//! Sales slips: the merchant's copy (signed by the cardholder, kept) and the cardholder's,
//! written into any [`core::fmt::Write`] — a printer driver, a display, a `String`.

use core::fmt;

use cardwire_iso8583::cups::Transaction;

use crate::config::Config;
use crate::terminal::Record;
use crate::terminal::quote::yuan;

/// Which copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Copy {
    /// Kept by the merchant, with the signature line.
    Merchant,
    /// Handed to the cardholder.
    Cardholder,
}

/// A receipt of one journal record. The PAN is masked (first 6 / last 4).
#[derive(Clone, Copy, Debug)]
pub struct Receipt<'a> {
    config: &'a Config,
    record: &'a Record,
    copy: Copy,
}

/// The printed name of a transaction type, English / Chinese as CUPS slips print them.
pub const fn transaction_name(t: Transaction) -> &'static str {
    match t {
        Transaction::Purchase => "SALE 消费",
        Transaction::PurchaseVoid => "VOID 消费撤销",
        Transaction::Refund => "REFUND 退货",
        Transaction::PreAuth => "AUTH 预授权",
        Transaction::PreAuthVoid => "AUTH VOID 预授权撤销",
        Transaction::PreAuthCompletion => "AUTH COMPLETE 预授权完成",
        Transaction::PreAuthCompletionVoid => "COMPLETE VOID 预授权完成撤销",
        Transaction::Balance => "BALANCE 查询",
        _ => "OTHER",
    }
}

impl<'a> Receipt<'a> {
    /// The `copy` receipt of `record` on the terminal configured by `config`.
    pub fn new(config: &'a Config, record: &'a Record, copy: Copy) -> Self {
        Self {
            config,
            record,
            copy,
        }
    }

    /// Writes the receipt.
    ///
    /// # Errors
    /// Whatever `out` returns.
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        let r = self.record;
        let c = self.config;
        let title = match self.copy {
            Copy::Merchant => "MERCHANT COPY 商户存根",
            Copy::Cardholder => "CARDHOLDER COPY 持卡人存根",
        };
        writeln!(out, "POS SALES SLIP 签购单 — {title}")?;
        writeln!(out, "MERCHANT NAME 商户名称: {}", c.merchant_name())?;
        writeln!(out, "MERCHANT NO. 商户编号:  {}", r.merchant_no)?;
        writeln!(
            out,
            "TERMINAL NO. 终端编号:  {}   OPERATOR: {}",
            c.terminal_id(),
            c.operator()
        )?;
        writeln!(
            out,
            "CARD NO. 卡号:          {} ({})",
            r.masked_pan(),
            r.entry.mark()
        )?;
        if !r.card_label.is_empty() {
            writeln!(out, "CARD TYPE 卡类型:       {}", r.card_label)?;
        }
        writeln!(
            out,
            "TRANS TYPE 交易类型:    {}",
            transaction_name(r.transaction)
        )?;
        writeln!(out, "BATCH NO. 批次号:       {:06}", r.batch)?;
        writeln!(out, "VOUCHER NO. 凭证号:     {:06}", r.stan)?;
        writeln!(out, "AUTH NO. 授权码:        {}", r.auth_code)?;
        writeln!(out, "REF. NO. 参考号:        {}", r.rrn)?;
        writeln!(out, "DATE/TIME 日期时间:     {}", r.when)?;
        let sign = if r.transaction.is_credit() { "-" } else { "" };
        writeln!(out, "AMOUNT 金额:            RMB {sign}{}", yuan(r.amount)?)?;
        if let Some(o) = r.original_stan {
            writeln!(out, "ORIGINAL VOUCHER 原凭证号: {o:06}")?;
        }
        match self.copy {
            Copy::Merchant => {
                writeln!(out, "CARDHOLDER SIGNATURE 持卡人签名: ____________________")?;
                write!(
                    out,
                    "I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICES"
                )
            }
            Copy::Cardholder => write!(out, "PLEASE RETAIN THIS COPY 请妥善保管"),
        }
    }
}

impl fmt::Display for Receipt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}
