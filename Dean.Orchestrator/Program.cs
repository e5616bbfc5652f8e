using Dean.Orchestrator.Auth;
using Dean.Orchestrator.Backups;
using Dean.Orchestrator.Emergency;
using Dean.Orchestrator.Evolution;
using Dean.Orchestrator.Operations;
using Dean.Orchestrator.Scheduling;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();
builder.AddOrchestratorAuth();
builder.AddDeanScheduling();
builder.AddEvolution();
builder.AddOperations();
builder.AddEmergency();
builder.AddBackups();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDeanScheduling();
app.MapAuthApi();
app.MapEvolutionApi();
app.MapOperationsApi();
app.MapEmergencyApi();
app.MapBackupsApi();
app.Run();
