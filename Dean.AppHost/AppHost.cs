using Microsoft.Extensions.DependencyInjection;
using Dean.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
builder.Services.AddHostedService<ResourceStateLogger>();

var infra = InfraOptions.Resolve(builder);
var database = builder.AddDeanPostgres("postgres", DeanResources.Database, infra);
var redis = builder.AddDeanRedis("redis", infra);
var seeds = new SigningSeeds(builder);

// The Economy calls no other service: it validates tokens and signs none.
var economy = builder.AddProject<Projects.Dean_Economy>("economy")
    .WithDeanDefaults(database, redis, seeds);

var indexAgent = builder.AddProject<Projects.Dean_IndexAgent>("indexagent")
    .WithDeanDefaults(database, redis, seeds).WithSigningSeed(seeds)
    .WithReference(economy).WaitFor(economy)
    .WithEnvironment("IndexAgent__WorkspaceRoot", Path.Combine(infra.DataDirectory, "workspace"))
    .WithEnvironment("IndexAgent__SamplesRoot", Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "samples")));
// The llm mutation operator's provider (Endpoint=...;Model=...;Key=...), when one is configured: ConnectionStrings:llm.
if (!string.IsNullOrEmpty(builder.Configuration["ConnectionStrings:llm"]))
    indexAgent.WithReference(builder.AddConnectionString("llm"));

var orchestrator = builder.AddProject<Projects.Dean_Orchestrator>("orchestrator")
    .WithDeanDefaults(database, redis, seeds).WithSigningSeed(seeds).WithMaintenanceDatabase(database)
    .WithReference(economy).WaitFor(economy)
    .WithReference(indexAgent).WaitFor(indexAgent)
    .WithEnvironment("Orchestrator__DataDirectory", infra.DataDirectory)
    .WithEnvironment("Orchestrator__Schedules__DemoCycleOnFirstStart", builder.Configuration["Dean:DemoCycle"] ?? "true")
    // The runbook's Airflow lines (health, DAG runs, the scheduler UI) answer on 8080 as they did.
    .WithHttpEndpoint(port: 8080, name: "airflow")
    // The operator console (Blazor, signed in with a cookie that only this port accepts).
    .WithHttpEndpoint(port: 8083, name: "console")
    .WithAdminPassword(builder);
// The orchestrator tells the Airflow and console ports' requests apart by the port they arrive on.
orchestrator.WithEnvironment("Orchestrator__AirflowPort", orchestrator.GetEndpoint("airflow").Property(EndpointProperty.TargetPort))
    .WithEnvironment("Orchestrator__ConsolePort", orchestrator.GetEndpoint("console").Property(EndpointProperty.TargetPort));

builder.AddDeanPrometheus(infra, economy, indexAgent, orchestrator);

builder.Build().Run();
