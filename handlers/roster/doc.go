// Package roster imports the member roster (会员名单) that a union office keeps in Excel: an
// .xlsx workbook or a .csv file (UTF-8 with or without BOM, or GB18030/GBK as written by Excel
// on Chinese Windows).
//
// The flow is Parse (file → rows and per-row problems), then Import (rows → members, in one
// transaction): open_ids are looked up by email and mobile through a Resolver first, members
// are matched by 工号, and a member the bot auto-registered from a first message is merged with
// the roster row that names the same Feishu account. ImportFile does both steps and folds the
// parse problems and warnings into the Report.
//
// Problem reasons and warnings are written in Chinese for the union officer who runs the
// import. Nothing in this package logs names, mobiles or emails.
package roster
