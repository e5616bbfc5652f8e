using Dean.Economy.Accounts;
using Dean.Economy.Budget;
using Dean.Economy.Constraints;
using Dean.Economy.Governance;
using Dean.Economy.Infrastructure;
using Dean.Economy.Ledger;
using Dean.Economy.Reservations;

namespace Dean.Economy;

public static class EconomyExtensions
{
    /// <summary>The economy's services, options (<c>Economy</c> section) and background work (expiry sweep, gauges).</summary>
    public static IHostApplicationBuilder AddEconomy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EconomyOptions>().Bind(builder.Configuration.GetSection(EconomyOptions.Section))
            .Validate(o => o.ReservationTtlSeconds >= 1 && o.ReservationTtlSeconds <= o.MaxReservationTtlSeconds, "Economy:ReservationTtlSeconds must be between 1 and MaxReservationTtlSeconds")
            .ValidateOnStart();
        builder.Services.AddSingleton<IdempotentTransactions>();
        builder.Services.AddSingleton<EconomyMetrics>();
        builder.Services.AddSingleton<ReservationStore>();
        builder.Services.AddSingleton<ReservationExpiry>();
        builder.Services.AddSingleton<AccountOperations>();
        builder.Services.AddSingleton<AccountQueries>();
        builder.Services.AddSingleton<BudgetOperations>();
        builder.Services.AddSingleton<GovernanceOperations>();
        builder.Services.AddSingleton<ConstraintStore>();
        builder.Services.AddSingleton<LedgerHistory>();
        builder.Services.AddHostedService<EconomyMetricsRefresher>();
        builder.Services.AddHostedService<ReservationExpiryService>();
        return builder;
    }
}
