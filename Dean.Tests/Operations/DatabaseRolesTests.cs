using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Dean.ServiceDefaults.Data;
using Dean.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dean.Tests.Operations;

/// <summary>Each service logs in as its own PostgreSQL role, owns its tables and cannot touch the others' (issue 12).</summary>
[Collection(DeanAppCollection.Name)]
public sealed partial class DatabaseRolesTests(DeanAppFixture fx)
{
    private static readonly Dictionary<string, System.Reflection.Assembly> MigrationAssemblies = new()
    {
        ["economy"] = typeof(Dean.Economy.EconomyAssembly).Assembly,
        ["indexagent"] = typeof(Dean.IndexAgent.IndexAgentAssembly).Assembly,
        ["orchestrator"] = typeof(Dean.Orchestrator.OrchestratorAssembly).Assembly,
    };

    [GeneratedRegex(@"CREATE\s+(?:TABLE|SEQUENCE)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex CreatedObject();

    [Fact]
    public void The_ownership_map_names_exactly_what_each_services_migrations_create()
    {
        foreach (var (service, assembly) in MigrationAssemblies)
        {
            var created = Migration.FromAssembly(assembly).SelectMany(m => CreatedObject().Matches(m.Sql).Select(x => x.Groups[1].Value)).Order().ToList();
            Assert.NotEmpty(created);
            Assert.Equal(created, DatabaseOwnership.Objects[service].Order().ToList());
        }
    }

    [Fact]
    public async Task Every_service_table_is_owned_by_its_services_role()
    {
        await using var superuser = await OpenAsync(await fx.ConnectionStringAsync());
        foreach (var (service, objects) in DatabaseOwnership.Objects)
            foreach (var name in objects)
                Assert.Equal(DatabaseOwnership.RoleOf(service), await OwnerAsync(superuser, "public." + name));
        await using var jobs = new NpgsqlCommand(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'hangfire' AND pg_get_userbyid(c.relowner) <> 'dean_orchestrator'", superuser);
        Assert.Equal(0L, (long)(await jobs.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("indexagent", "SELECT count(*) FROM economy_ledger")]
    [InlineData("indexagent", "UPDATE economy_accounts SET allocated = allocated + 1000000")]
    [InlineData("indexagent", "SELECT count(*) FROM users")]
    [InlineData("indexagent", "UPDATE auth_signing_epochs SET certificate = certificate")]
    [InlineData("indexagent", "SELECT count(*) FROM hangfire.job")]
    [InlineData("economy", "SELECT count(*) FROM agents")]
    [InlineData("orchestrator", "DELETE FROM economy_ledger")]
    [InlineData("orchestrator", "SELECT count(*) FROM candidates")]
    public async Task A_service_role_is_refused_another_services_tables(string service, string sql)
    {
        await using var connection = await OpenAsync(await LoginAsync(DatabaseOwnership.RoleOf(service)));
        await using var command = new NpgsqlCommand(sql, connection);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task Each_role_reads_its_own_tables_and_the_maintenance_role_reads_all()
    {
        foreach (var (login, table) in new[] { ("dean_economy", "economy_ledger"), ("dean_indexagent", "agents"), ("dean_orchestrator", "cycles"), ("dean_indexagent", "auth_signing_epochs"), ("dean_economy", "auth_signing_epochs"),
                     ("dean_maintenance", "economy_ledger"), ("dean_maintenance", "agents"), ("dean_maintenance", "users") })
        {
            await using var connection = await OpenAsync(await LoginAsync(login));
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            Assert.True((long)(await command.ExecuteScalarAsync())! >= 0);
        }
    }

    /// <summary>
    /// The upgrade in place: a database as every installation before the roles left it (the superuser owns the tables,
    /// the sequences, schema_migrations and Hangfire's schema) is moved to the roles by the start-up provisioning, data kept.
    /// </summary>
    [Fact]
    public async Task Provisioning_moves_a_superuser_owned_database_to_the_roles_and_keeps_its_rows()
    {
        var scratch = $"dean_upgrade_{Guid.NewGuid():N}";
        var superuserString = new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Pooling = false };
        await using (var admin = await OpenAsync(superuserString.ConnectionString))
            await Execute(admin, $"CREATE DATABASE {scratch}");
        try
        {
            await using var connection = await OpenAsync(new NpgsqlConnectionStringBuilder(superuserString.ConnectionString) { Database = scratch }.ConnectionString);
            await Execute(connection, """
                CREATE TABLE economy_ledger (id bigserial PRIMARY KEY, amount bigint NOT NULL);
                INSERT INTO economy_ledger (amount) VALUES (42), (7);
                CREATE SEQUENCE agent_id_seq;
                CREATE TABLE agents (agent_id text PRIMARY KEY);
                INSERT INTO agents VALUES ('agent_001');
                CREATE SCHEMA hangfire;
                CREATE TABLE hangfire.job (id bigserial PRIMARY KEY);
                """);
            await Execute(connection, DatabaseOwnership.MigrationsTableSql);

            // The running system's passwords: provisioning sets them again, so the services keep logging in.
            await Execute(connection, DatabaseOwnership.ProvisionSql(scratch, await PasswordsAsync()));

            Assert.Equal("dean_economy", await OwnerAsync(connection, "public.economy_ledger"));
            Assert.Equal("dean_economy", await OwnerAsync(connection, "public.economy_ledger_id_seq"));
            Assert.Equal("dean_indexagent", await OwnerAsync(connection, "public.agents"));
            Assert.Equal("dean_indexagent", await OwnerAsync(connection, "public.agent_id_seq"));
            Assert.Equal("dean_maintenance", await OwnerAsync(connection, "public.schema_migrations"));
            Assert.Equal("dean_orchestrator", await OwnerAsync(connection, "hangfire.job"));
            await using var sum = new NpgsqlCommand("SELECT sum(amount) FROM economy_ledger", connection);
            Assert.Equal(49m, (decimal)(await sum.ExecuteScalarAsync())!);

            // Provisioning twice changes nothing and fails on nothing.
            await Execute(connection, DatabaseOwnership.ProvisionSql(scratch, await PasswordsAsync()));
            Assert.Equal("dean_indexagent", await OwnerAsync(connection, "public.agents"));
        }
        finally
        {
            await using var admin = await OpenAsync(superuserString.ConnectionString);
            await Execute(admin, $"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)");
        }
    }

    private async Task<Dictionary<string, string>> PasswordsAsync()
    {
        var passwords = new Dictionary<string, string>();
        foreach (var role in DatabaseOwnership.LoginRoles)
            passwords[role] = await PasswordAsync(role);
        return passwords;
    }

    /// <summary>The role's password is the AppHost's generated secret parameter.</summary>
    private async Task<string> PasswordAsync(string role)
    {
        var model = fx.App.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == $"postgres-{role.Replace('_', '-')}-password");
        return await parameter.GetValueAsync(CancellationToken.None) ?? throw new InvalidOperationException($"{parameter.Name} has no value");
    }

    private async Task<string> LoginAsync(string role) =>
        new NpgsqlConnectionStringBuilder(await fx.ConnectionStringAsync()) { Username = role, Password = await PasswordAsync(role), Pooling = false }.ConnectionString;

    private static async Task<string?> OwnerAsync(NpgsqlConnection connection, string relation)
    {
        await using var command = new NpgsqlCommand("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass($1)", connection)
            { Parameters = { new() { Value = relation } } };
        return (string?)await command.ExecuteScalarAsync();
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
