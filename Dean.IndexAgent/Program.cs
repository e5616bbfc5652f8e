using Dean.IndexAgent.Agents;
using Dean.IndexAgent.Evaluation;
using Dean.IndexAgent.Operators;
using Dean.IndexAgent.Population;
using Dean.IndexAgent.Targets;
using Dean.IndexAgent.Workspace;
using Dean.ServiceDefaults.Auth;
using Dean.ServiceDefaults.Data;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDeanDatabase(typeof(Program).Assembly);
builder.AddDeanRedis();
builder.AddWorkspaceAndEvaluation();
builder.AddOperators();
builder.AddTargets();
builder.AddAgents();
builder.AddPopulation();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCallerApi();
app.MapTargetsApi();
app.MapAgentsApi();
app.MapAgentPauseApi();
app.MapPopulationApi();
app.MapMaintenanceApi();
app.Run();
