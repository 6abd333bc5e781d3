plugins {
    kotlin("jvm") version "2.1.0"
    id("com.gradleup.shadow") version "8.3.5"
    application
}

repositories { mavenCentral() }
dependencies { implementation("io.ktor:ktor-server-netty:3.0.1") }
application { mainClass.set("com.example.ledger.MainKt") }
