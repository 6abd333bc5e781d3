<?php

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';

$uploads = new Shop\Uploads('/srv/shop/var/uploads');
header('Content-Type: text/plain');
echo 'uploads: ', $uploads->count(), "\n";
