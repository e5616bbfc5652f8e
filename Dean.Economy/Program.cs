using Dean.Economy;
using Dean.Economy.Accounts;
using Dean.Economy.Budget;
using Dean.Economy.Constraints;
using Dean.Economy.Governance;
using Dean.Economy.Ledger;
using Dean.Economy.Reservations;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();
builder.AddEconomy();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCallerApi();
app.MapBudgetApi();
app.MapAccountsApi();
app.MapReservationsApi();
app.MapReleaseAllApi();
app.MapGovernanceApi();
app.MapConstraintsApi();
app.MapLedgerApi();
app.Run();

/// <summary>Visible to the tests and the benchmark.</summary>
public partial class Program;
